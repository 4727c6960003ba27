// Speech segments per channel, for the player's speaker timeline (LEFT = calling party, RIGHT =
// called party). An energy detector on the PCM as the timeline writes it (batches of ~250 ms, not
// packets): 20 ms frames, each compared with an adaptive noise floor. Kept cheap and allocation-
// free per frame: a few multiply-adds per sample, two logarithms per frame, a push per segment.
//
// A frame is speech when it is
//   - louder than MIN_SPEECH_DBOV (digital silence, concealment fades and the usual comfort-noise
//     levels never are), and SNR_DB above the channel's noise floor; the floor falls quickly to
//     quieter frames and rises slowly under louder ones, so stationary line noise is absorbed
//     within a few seconds while a talk spurt is not;
//   - not white: voiced speech has most of its energy at low frequencies (high lag-1
//     autocorrelation), while comfort noise (RFC 3389 without spectral data is white) and hiss
//     have none. Unvoiced sounds inside a sentence are bridged by the hangover.
// Runs of speech frames closer than HANGOVER_MS are one segment (a pause between words does not
// split a sentence); segments shorter than MIN_SEGMENT_MS (a click, a cough) are dropped.

export interface SpeechSegment {
  channel: 'left' | 'right';
  /** Milliseconds from the start of the recording (the WAV). */
  startMs: number;
  endMs: number;
}

export const FRAME_MS = 20;
/** Frame power of a full-scale sine: the 0 dBov reference (ITU-T G.100.1). */
const DBOV0_POWER = 23170 * 23170;
const MIN_SPEECH_DBOV = -50;
const SNR_DB = 10;
/** The floor a channel starts from, and the lowest it goes (below, the absolute minimum decides anyway). */
const FLOOR_START_DBOV = -60;
const FLOOR_MIN_DBOV = -70;
const FLOOR_RISE_DB_PER_S = 6;
/** Share of the distance to a quieter frame the floor moves per frame. */
const FLOOR_FALL = 0.3;
/** Frames quieter than this are digital silence (no packets, paused): they say nothing about the line's noise. */
const SILENCE_DBOV = -85;
/** Lag-1 autocorrelation a frame needs to count as speech: white noise has ~0 (sd 0.08 at 160 samples). */
const MIN_CORRELATION = 0.3;
export const HANGOVER_MS = 400;
export const MIN_SEGMENT_MS = 150;

const FLOOR_RISE_PER_FRAME = (FLOOR_RISE_DB_PER_S * FRAME_MS) / 1000;
const HANGOVER_FRAMES = HANGOVER_MS / FRAME_MS;
const MIN_SEGMENT_FRAMES = MIN_SEGMENT_MS / FRAME_MS;

/** One channel's floor and open segment; closed segments as [startFrame, endFrame) pairs. */
class ChannelVad {
  floorDb = FLOOR_START_DBOV;
  /** First frame of the open segment, -1 when none is open. */
  start = -1;
  /** Frame after the last speech frame of the open segment. */
  end = -1;
  readonly segments: number[] = [];

  /** `power`: mean square of the frame; `corr`: its lag-1 autocorrelation (normalised). */
  frame(index: number, power: number, corr: number): void {
    const db = power > 0 ? 10 * Math.log10(power / DBOV0_POWER) : -Infinity;
    const speech = db > MIN_SPEECH_DBOV && db > this.floorDb + SNR_DB && corr >= MIN_CORRELATION;
    if (db > SILENCE_DBOV) {
      if (db < this.floorDb) this.floorDb = Math.max(FLOOR_MIN_DBOV, this.floorDb + (db - this.floorDb) * FLOOR_FALL);
      else this.floorDb = Math.min(db, this.floorDb + FLOOR_RISE_PER_FRAME);
    }
    if (speech) {
      if (this.start < 0) this.start = index;
      this.end = index + 1;
    } else if (this.start >= 0 && index + 1 - this.end >= HANGOVER_FRAMES) {
      this.close();
    }
  }

  close(): void {
    if (this.start >= 0 && this.end - this.start >= MIN_SEGMENT_FRAMES) this.segments.push(this.start, this.end);
    this.start = -1;
    this.end = -1;
  }
}

/** Both channels of one recording. Fed the interleaved stereo PCM in file order, from its first sample. */
export class SpeechDetector {
  private readonly frameSamples: number;
  private readonly left = new ChannelVad();
  private readonly right = new ChannelVad();
  // The frame being accumulated (a batch rarely ends on a frame boundary).
  private fill = 0;
  private frames = 0;
  private powL = 0;
  private powR = 0;
  private corrL = 0;
  private corrR = 0;
  private prevL = 0;
  private prevR = 0;
  private finished: SpeechSegment[] | null = null;

  constructor(private readonly sampleRate: number) {
    this.frameSamples = (sampleRate * FRAME_MS) / 1000;
  }

  /** `count` stereo sample frames from `pcm` (L, R, L, R ...). */
  analyse(pcm: Int16Array, count: number): void {
    if (this.finished) return;
    const n = this.frameSamples;
    let fill = this.fill;
    let powL = this.powL;
    let powR = this.powR;
    let corrL = this.corrL;
    let corrR = this.corrR;
    let prevL = this.prevL;
    let prevR = this.prevR;
    for (let i = 0, o = 0; i < count; i++) {
      const l = pcm[o++]!;
      const r = pcm[o++]!;
      powL += l * l;
      powR += r * r;
      corrL += l * prevL;
      corrR += r * prevR;
      prevL = l;
      prevR = r;
      if (++fill === n) {
        this.decide(powL, corrL, powR, corrR, n);
        fill = powL = powR = corrL = corrR = 0;
      }
    }
    this.fill = fill;
    this.powL = powL;
    this.powR = powR;
    this.corrL = corrL;
    this.corrR = corrR;
    this.prevL = prevL;
    this.prevR = prevR;
  }

  /** The segments of the whole recording, by start time (left first on a tie). Ends the analysis. */
  finish(): SpeechSegment[] {
    if (this.finished) return this.finished;
    const totalMs = Math.round(((this.frames * this.frameSamples + this.fill) * 1000) / this.sampleRate);
    // A last frame at least half full still counts.
    if (this.fill * 2 >= this.frameSamples) this.decide(this.powL, this.corrL, this.powR, this.corrR, this.fill);
    const out: SpeechSegment[] = [];
    for (const [vad, channel] of [
      [this.left, 'left'],
      [this.right, 'right'],
    ] as const) {
      vad.close();
      const s = vad.segments;
      for (let k = 0; k < s.length; k += 2) {
        out.push({ channel, startMs: s[k]! * FRAME_MS, endMs: Math.min(s[k + 1]! * FRAME_MS, totalMs) });
      }
    }
    out.sort((a, b) => a.startMs - b.startMs || (a.channel === b.channel ? 0 : a.channel === 'left' ? -1 : 1));
    this.finished = out;
    return out;
  }

  private decide(powL: number, corrL: number, powR: number, corrR: number, samples: number): void {
    const index = this.frames++;
    this.left.frame(index, powL / samples, powL > 0 ? corrL / powL : 0);
    this.right.frame(index, powR / samples, powR > 0 ? corrR / powR : 0);
  }
}
