// What a stream writes where it has no audio of its own:
// - packet loss inside a talk spurt: the last 10 ms repeated, fading out linearly over 60 ms
//   (then silence). Tiny gaps (a few samples, from clock-drift correction) hold the last sample.
// - comfort noise (RFC 3389): white noise at the level the CN packet signals, from the CN packet
//   until the next packet. The optional spectral coefficients are ignored.
// Per stream: a 10 ms history and a PRNG state; output goes to a caller's scratch buffer.

const HISTORY_MS = 10;
const FADE_MS = 60;
/** Gaps up to this many samples are bridged by holding the last sample instead of repeating 10 ms. */
export const HOLD_MAX_SAMPLES = 4;
/** RMS of a full-scale sine: the 0 dBov reference (ITU-T G.100.1). */
const DBOV0_RMS = 23170;

export class Concealment {
  private readonly hist: Int16Array;
  private histPos = 0;
  private histFill = 0;
  private lastSample = 0;
  private readonly fade: number;
  private rng = 0x9e3779b9;

  constructor(fileRate: number) {
    this.hist = new Int16Array((fileRate * HISTORY_MS) / 1000);
    this.fade = (fileRate * FADE_MS) / 1000;
  }

  /** Keeps the tail of audio just written. */
  remember(src: Int16Array, from: number, count: number): void {
    if (count <= 0) return;
    const h = this.hist;
    const size = h.length;
    const start = count > size ? from + count - size : from;
    for (let i = start, end = from + count; i < end; i++) {
      h[this.histPos] = src[i]!;
      this.histPos = this.histPos + 1 === size ? 0 : this.histPos + 1;
    }
    this.histFill = Math.min(size, this.histFill + (from + count - start));
    this.lastSample = src[from + count - 1]!;
  }

  forget(): void {
    this.histFill = 0;
    this.lastSample = 0;
  }

  /**
   * Writes `n` concealment samples into `out` from 0. `start` > 0 continues a concealment that
   * already produced `start` samples (the repetition and the fade go on from there).
   */
  conceal(out: Int16Array, n: number, start = 0): void {
    if ((start === 0 && n <= HOLD_MAX_SAMPLES) || this.histFill === 0) {
      const v = this.histFill === 0 || start >= this.fade ? 0 : this.lastSample;
      for (let k = 0; k < n; k++) out[k] = v;
      return;
    }
    const h = this.hist;
    const size = this.histFill;
    // Oldest remembered sample first: the repetition continues where the audio stopped 10 ms ago.
    const first = (this.histPos - size + h.length) % h.length;
    let idx = (first + (start % size)) % h.length;
    const fade = this.fade;
    for (let k = 0, t = start; k < n; k++, t++) {
      out[k] = t < fade ? Math.round(h[idx]! * (1 - t / fade)) : 0;
      if (++idx === h.length) idx = 0;
      if ((t + 1) % size === 0) idx = first;
    }
  }

  /** Samples after which a concealment is silence. */
  get fadeSamples(): number {
    return this.fade;
  }

  /** Writes `n` samples of white noise at `levelDbov` (RFC 3389: the CN payload's first byte, -dBov). */
  noise(out: Int16Array, n: number, levelDbov: number): void {
    // Uniform noise in [-a, a) has an RMS of a / sqrt(3).
    const a = DBOV0_RMS * Math.pow(10, -levelDbov / 20) * Math.sqrt(3);
    let x = this.rng;
    for (let k = 0; k < n; k++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      out[k] = Math.round(((x >>> 0) / 2147483648 - 1) * a);
    }
    this.rng = x;
  }
}
