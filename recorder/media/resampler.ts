// Rational sample-rate conversion by L/M with a polyphase windowed-sinc FIR: 8 -> 16 kHz (L=2) for
// narrowband streams in a wideband file, 16 -> 8 kHz (M=2) for a wideband stream added to a
// narrowband file, 48 -> 16 and 48 -> 8 kHz (M=3, M=6) for Opus.
//
// Filter state (the last inputs) is kept per stream, so consecutive packets are filtered as one
// signal; the work buffer is shared by every stream (conversion runs synchronously, one packet at
// a time). The filter delays the audio by (N-1)/2 input samples at the higher rate, about 1.5 ms.
import { MAX_DECODED_SAMPLES } from './decoder.js';

/** Taps per polyphase branch, per unit of max(L, M): 24 gives about 70 dB stopband with Kaiser beta 7. */
const TAPS_PER_UNIT = 24;
const KAISER_BETA = 7;
/** Passband edge as a fraction of the lower Nyquist frequency (3.68 kHz for 8 kHz output). */
const PASSBAND = 0.92;

const MAX_TAPS = TAPS_PER_UNIT * 6;
const work = new Float64Array(MAX_DECODED_SAMPLES + MAX_TAPS);

function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 40; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
    if (term < 1e-12 * sum) break;
  }
  return sum;
}

/** Branch-major coefficients: h[phase * taps + j] multiplies the input j samples back. */
function design(up: number, down: number): { h: Float64Array; taps: number } {
  const n = TAPS_PER_UNIT * Math.max(up, down);
  const taps = n / up;
  const fc = (0.5 / Math.max(up, down)) * PASSBAND; // cycles per sample at the upsampled rate
  const proto = new Float64Array(n);
  const mid = (n - 1) / 2;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const t = i - mid;
    const sinc = t === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * t) / (Math.PI * t);
    const w = besselI0(KAISER_BETA * Math.sqrt(1 - ((2 * i) / (n - 1) - 1) ** 2)) / besselI0(KAISER_BETA);
    proto[i] = sinc * w;
    sum += proto[i]!;
  }
  const h = new Float64Array(n);
  for (let p = 0; p < up; p++) for (let j = 0; j < taps; j++) h[p * taps + j] = (proto[p + j * up]! * up) / sum;
  return { h, taps };
}

const designs = new Map<string, { h: Float64Array; taps: number }>();

export class Resampler {
  private readonly h: Float64Array;
  private readonly taps: number;
  private readonly hist: Float64Array;
  /** Time of the next output in upsampled units, relative to the first sample of the next input block. */
  private t = 0;

  constructor(
    readonly up: number,
    readonly down: number,
  ) {
    const key = `${up}/${down}`;
    let d = designs.get(key);
    if (!d) designs.set(key, (d = design(up, down)));
    this.h = d.h;
    this.taps = d.taps;
    this.hist = new Float64Array(this.taps - 1);
  }

  /** For a conversion from `from` Hz to `to` Hz: null when none is needed. */
  static between(from: number, to: number): Resampler | null {
    if (from === to) return null;
    const g = gcd(from, to);
    return new Resampler(to / g, from / g);
  }

  /** Converts `input[0..n)`, writing into `out` from 0; returns the number of output samples. */
  process(input: Int16Array, n: number, out: Int16Array): number {
    const { h, taps, up, down } = this;
    const keep = taps - 1;
    work.set(this.hist, 0);
    for (let i = 0; i < n; i++) work[keep + i] = input[i]!;
    let o = 0;
    let t = this.t;
    for (let i = (t / up) | 0; i < n; i = (t / up) | 0) {
      const base = (t - i * up) * taps;
      let acc = 0;
      for (let j = 0, x = keep + i; j < taps; j++, x--) acc += h[base + j]! * work[x]!;
      const v = Math.round(acc);
      out[o++] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
      t += down;
    }
    this.t = t - n * up;
    const hist = this.hist;
    for (let k = 0; k < keep; k++) hist[k] = work[n + k]!;
    return o;
  }

  reset(): void {
    this.hist.fill(0);
    this.t = 0;
  }
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}
