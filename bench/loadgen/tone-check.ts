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

export type ToneVerdict = 'ok' | 'silent' | 'swapped' | 'wrong-tone' | 'impure';

export const TONE_MIN_RMS = 500;
export const TONE_MIN_PURITY = 0.8;
/**
 * With jitter induced, the first packet may anchor a stream late; the playout clock then walks the
 * stream back a sample or two per packet (recorder/media/playout-clock.ts), and each step shifts
 * the tone's phase. Another call's tone mixed in at the same level still stays below this.
 */
export const TONE_MIN_PURITY_IMPAIRED = 0.6;

/** The verdict on one channel, knowing what the call's two legs sent. */
export function judgeChannel(reading: ToneReading, expected: number, otherLeg: number, minPurity = TONE_MIN_PURITY): ToneVerdict {
  if (reading.rms < TONE_MIN_RMS) return 'silent';
  if (reading.freq === otherLeg && reading.freq !== expected) return 'swapped';
  if (reading.freq !== expected) return 'wrong-tone';
  if (reading.purity < minPurity) return 'impure';
  return 'ok';
}
