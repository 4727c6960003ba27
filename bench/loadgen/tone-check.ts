// Tone verification of a recorded window: which plan frequency dominates a channel, how pure it
// is (a second call mixed in, or concealment noise, lowers it) and how loud.
import { PLAN_FREQS } from './tone-plan.js';

/** Goertzel power at `freq` over `samples`. */
export function goertzelPower(samples: Int16Array, sampleRate: number, freq: number): number {
  const coeff = 2 * Math.cos((2 * Math.PI * freq) / sampleRate);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i]! + coeff * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  return s1 * s1 + s2 * s2 - coeff * s1 * s2;
}

export interface ToneReading {
  /** Plan frequency with the most power. */
  freq: number;
  /** Share of the window's energy in that frequency, 0..1 (1 = a pure tone). */
  purity: number;
  rms: number;
}

/**
 * Reads the dominant plan tone of a window. Power is summed over 20 ms sub-windows (160 samples at
 * 8 kHz, 320 at 16 kHz): every plan tone fits a whole number of cycles into any such sub-window,
 * so the plan frequencies stay orthogonal wherever the window starts, and a phase step in the
 * recording (a few samples added or dropped while the playout clock follows drift) costs one
 * sub-window instead of cancelling the tone over the whole window.
 */
export function readTone(samples: Int16Array, sampleRate: number, candidates: readonly number[] = PLAN_FREQS): ToneReading {
  const sub = Math.round(sampleRate / 50);
  const subs = Math.floor(samples.length / sub);
  let energy = 0;
  for (let i = 0; i < subs * sub; i++) energy += samples[i]! * samples[i]!;
  let best = 0;
  let bestPower = -1;
  for (const f of candidates) {
    let p = 0;
    for (let k = 0; k < subs; k++) p += goertzelPower(samples.subarray(k * sub, (k + 1) * sub), sampleRate, f);
    if (p > bestPower) {
      bestPower = p;
      best = f;
    }
  }
  const n = subs * sub;
  // A sine of amplitude A over n samples: power (A n / 2)^2, energy A^2 n / 2; per sub-window alike.
  const purity = energy > 0 && n > 0 ? Math.min(1, (2 * bestPower) / (sub * energy)) : 0;
  return { freq: best, purity, rms: n > 0 ? Math.sqrt(energy / n) : 0 };
}

/**
 * How the phase of `freq` moves from one 20 ms sub-window to the next. A steady plan tone keeps
 * its phase (whole cycles per sub-window). The recorder's playout clock, walking a stream back
 * towards its drift line (recorder/media/playout-clock.ts), drops or repeats a sample or two per
 * packet: the tone then advances by the same angle every sub-window. Another call mixed in does
 * not turn the phase at `freq` (the plan tones are orthogonal there).
 */
export interface PhaseSteps {
  /** Mean phase change per sub-window over the sub-windows where the phase moved, radians in (-pi, pi]. */
  stepRad: number;
  /** How alike those changes are, 0..1 (1: the same angle every time), weighted by amplitude. */
  consistency: number;
  /** Share of the sub-window changes where the phase moved: the walk may start or end inside the window. */
  share: number;
  /**
   * Share of the window's energy at the expected tone, 0..1, over 10 ms pieces: a step inside a
   * 20 ms sub-window can cancel most of the tone there, but not in both of its halves.
   */
  presence: number;
}

/** A phase change smaller than this between two sub-windows is a steady tone. */
export const STEP_MIN_RAD = 0.15;
export const STEP_MIN_CONSISTENCY = 0.7;
export const STEP_MIN_SHARE = 0.25;
/** A walked tone keeps about half its energy or more in 10 ms pieces; another call's tone a few plan steps away, far less. */
export const STEP_MIN_PRESENCE = 0.25;

export function phaseSteps(samples: Int16Array, sampleRate: number, freq: number): PhaseSteps {
  const sub = Math.round(sampleRate / 50);
  const subs = Math.floor(samples.length / sub);
  const half = sub / 2;
  const w = (2 * Math.PI * freq) / sampleRate;
  let prevRe = 0;
  let prevIm = 0;
  let movedRe = 0;
  let movedIm = 0;
  let movedAbs = 0;
  let moved = 0;
  let power = 0;
  let energy = 0;
  for (let k = 0; k < subs; k++) {
    let re = 0;
    let im = 0;
    // Phase measured against absolute sample time, so a steady tone has the same phase in every sub-window.
    let hRe = 0;
    let hIm = 0;
    for (let i = k * sub; i < (k + 1) * sub; i++) {
      const c = samples[i]! * Math.cos(w * i);
      const d = samples[i]! * Math.sin(w * i);
      re += c;
      im -= d;
      hRe += c;
      hIm -= d;
      energy += samples[i]! * samples[i]!;
      if (i === k * sub + half - 1 || i === (k + 1) * sub - 1) {
        power += hRe * hRe + hIm * hIm;
        hRe = 0;
        hIm = 0;
      }
    }
    if (k > 0) {
      // c_k * conj(c_{k-1}): its angle is the phase change, its size the weight.
      const dRe = re * prevRe + im * prevIm;
      const dIm = im * prevRe - re * prevIm;
      const abs = Math.hypot(dRe, dIm);
      if (Math.abs(Math.atan2(dIm, dRe)) >= STEP_MIN_RAD) {
        moved++;
        movedRe += dRe;
        movedIm += dIm;
        movedAbs += abs;
      }
    }
    prevRe = re;
    prevIm = im;
  }
  return {
    stepRad: movedAbs > 0 ? Math.atan2(movedIm, movedRe) : 0,
    consistency: movedAbs > 0 ? Math.hypot(movedRe, movedIm) / movedAbs : 0,
    share: subs > 1 ? moved / (subs - 1) : 0,
    presence: energy > 0 ? Math.min(1, (2 * power) / (half * energy)) : 0,
  };
}

export type ToneVerdict = 'ok' | 'silent' | 'swapped' | 'wrong-tone' | 'impure' | 'time-stepped';

export const TONE_MIN_RMS = 500;
export const TONE_MIN_PURITY = 0.8;
/**
 * With jitter induced, the first packet may anchor a stream late; the playout clock then walks the
 * stream back a sample or two per packet (recorder/media/playout-clock.ts), and each step shifts
 * the tone's phase. Another call's tone mixed in at the same level still stays below this.
 */
export const TONE_MIN_PURITY_IMPAIRED = 0.6;

/**
 * The verdict on one channel, knowing what the call's two legs sent. With `steps` (the phase of
 * the expected tone, see phaseSteps), a tone that is impure or read as a neighbour because the
 * stream is being walked in time sample by sample is told apart ('time-stepped') from a channel
 * carrying something else.
 */
export function judgeChannel(reading: ToneReading, expected: number, otherLeg: number, minPurity = TONE_MIN_PURITY, steps?: PhaseSteps): ToneVerdict {
  if (reading.rms < TONE_MIN_RMS) return 'silent';
  if (reading.freq === otherLeg && reading.freq !== expected) return 'swapped';
  const stepped = steps !== undefined && steps.presence >= STEP_MIN_PRESENCE && steps.share >= STEP_MIN_SHARE && Math.abs(steps.stepRad) >= STEP_MIN_RAD && steps.consistency >= STEP_MIN_CONSISTENCY;
  if (reading.freq !== expected) return stepped ? 'time-stepped' : 'wrong-tone';
  if (reading.purity < minPurity) return stepped ? 'time-stepped' : 'impure';
  return 'ok';
}
