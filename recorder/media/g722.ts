// ITU-T G.722 (09/2012) decoder, 64 kbit/s mode (RFC 3551 §4.5.2: one octet per pair of 16 kHz
// samples, 6 bits lower sub-band + 2 bits higher sub-band; the RTP clock is 8000 by a historical
// error in RFC 1890, the audio is 16000).
//
// Written here from the Recommendation's block diagrams (the block names in the comments are
// G.722's), not wrapped: no maintained npm package fits. The ones that exist are unmaintained
// native addons or browser ports without tests against the ITU vectors, and a native addon would
// add a compiler to the image for 200 lines of integer arithmetic. The unit tests check this
// decoder sample for sample against ffmpeg's on ffmpeg-encoded audio.
//
// State lives in typed arrays so the per-sample loop allocates nothing.
import type { AudioDecoder } from './decoder.js';

// Table 14/G.722 and friends: inverse quantiser outputs, log scale factor adaptation, QMF.
const QM6 = Int32Array.from([
  -136, -136, -136, -136, -24808, -21904, -19008, -16704, -14984, -13512, -12280, -11192, -10232, -9360, -8576, -7856,
  -7192, -6576, -6000, -5456, -4944, -4464, -4008, -3576, -3168, -2776, -2400, -2032, -1688, -1360, -1040, -728,
  24808, 21904, 19008, 16704, 14984, 13512, 12280, 11192, 10232, 9360, 8576, 7856, 7192, 6576, 6000, 5456,
  4944, 4464, 4008, 3576, 3168, 2776, 2400, 2032, 1688, 1360, 1040, 728, 432, 136, -432, -136,
]);
const QM4 = Int32Array.from([0, -20456, -12896, -8968, -6288, -4240, -2584, -1200, 20456, 12896, 8968, 6288, 4240, 2584, 1200, 0]);
const QM2 = Int32Array.from([-7408, -1616, 7408, 1616]);
const RL42 = Int32Array.from([0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0]);
const WL = Int32Array.from([-60, -30, 58, 172, 334, 538, 1198, 3042]);
const RH2 = Int32Array.from([2, 1, 2, 1]);
const WH = Int32Array.from([0, -214, 798]);
const ILB = Int32Array.from([
  2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834,
  2896, 2960, 3025, 3091, 3158, 3228, 3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
]);
const QMF = Int32Array.from([3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11]);

const sat16 = (v: number): number => (v > 32767 ? 32767 : v < -32768 ? -32768 : v);

/** The adaptive predictor of one sub-band (block 4: RECONS, PARREC, UPPOL1/2, UPZERO, DELAYA, FILTEP, FILTEZ, PREDIC). */
class SubBand {
  // Scalars: s (predictor output), sp (pole part), sz (zero part), det (quantiser scale), nb (log scale).
  s = 0;
  sp = 0;
  sz = 0;
  det = 0;
  nb = 0;
  readonly a = new Int32Array(3); // pole coefficients a1, a2 (index 1, 2)
  readonly ap = new Int32Array(3);
  readonly b = new Int32Array(7); // zero coefficients b1..b6
  readonly bp = new Int32Array(7);
  readonly d = new Int32Array(7); // quantised difference signal history
  readonly p = new Int32Array(3); // partial reconstructed signal history
  readonly r = new Int32Array(3); // reconstructed signal history
  readonly sg = new Int32Array(7);

  constructor(private readonly initialDet: number) {
    this.reset();
  }

  reset(): void {
    this.s = this.sp = this.sz = this.nb = 0;
    this.det = this.initialDet;
    for (const t of [this.a, this.ap, this.b, this.bp, this.d, this.p, this.r, this.sg]) t.fill(0);
  }

  update(dq: number): void {
    const { a, ap, b, bp, d, p, r, sg } = this;
    // RECONS, PARREC
    d[0] = dq;
    r[0] = sat16(this.s + dq);
    p[0] = sat16(this.sz + dq);
    // UPPOL2
    sg[0] = p[0]! >> 15;
    sg[1] = p[1]! >> 15;
    sg[2] = p[2]! >> 15;
    const wa1 = sat16(a[1]! << 2);
    let wd2 = sg[0] === sg[1] ? -wa1 : wa1;
    if (wd2 > 32767) wd2 = 32767;
    let wd3 = (sg[0] === sg[2] ? 128 : -128) + (wd2 >> 7) + ((a[2]! * 32512) >> 15);
    ap[2] = wd3 > 12288 ? 12288 : wd3 < -12288 ? -12288 : wd3;
    // UPPOL1
    sg[0] = p[0]! >> 15;
    sg[1] = p[1]! >> 15;
    ap[1] = sat16((sg[0] === sg[1] ? 192 : -192) + ((a[1]! * 32640) >> 15));
    wd3 = sat16(15360 - ap[2]!);
    if (ap[1]! > wd3) ap[1] = wd3;
    else if (ap[1]! < -wd3) ap[1] = -wd3;
    // UPZERO
    const step = dq === 0 ? 0 : 128;
    sg[0] = dq >> 15;
    for (let i = 1; i < 7; i++) {
      sg[i] = d[i]! >> 15;
      bp[i] = sat16((sg[i] === sg[0] ? step : -step) + ((b[i]! * 32640) >> 15));
    }
    // DELAYA
    for (let i = 6; i > 0; i--) {
      d[i] = d[i - 1]!;
      b[i] = bp[i]!;
    }
    for (let i = 2; i > 0; i--) {
      r[i] = r[i - 1]!;
      p[i] = p[i - 1]!;
      a[i] = ap[i]!;
    }
    // FILTEP
    const w1 = (a[1]! * sat16(r[1]! + r[1]!)) >> 15;
    const w2 = (a[2]! * sat16(r[2]! + r[2]!)) >> 15;
    this.sp = sat16(w1 + w2);
    // FILTEZ
    let sz = 0;
    for (let i = 6; i > 0; i--) sz += (b[i]! * sat16(d[i]! + d[i]!)) >> 15;
    this.sz = sat16(sz);
    // PREDIC
    this.s = sat16(this.sp + this.sz);
  }
}

export class G722Decoder implements AudioDecoder {
  readonly sampleRate = 16000;
  private readonly low = new SubBand(32);
  private readonly high = new SubBand(8);
  /**
   * Receive QMF delay line: 24 values, kept twice (x[i] = x[i + 24]) so the window x[pos..pos+24)
   * is contiguous without shifting it per sample; the newest pair is at its end.
   */
  private readonly x = new Int32Array(48);
  private pos = 0;

  samples(_payload: Buffer, from: number, to: number): number {
    return (to - from) * 2;
  }

  reset(): void {
    this.low.reset();
    this.high.reset();
    this.x.fill(0);
    this.pos = 0;
  }

  decode(payload: Buffer, from: number, to: number, out: Int16Array): number {
    const low = this.low;
    const high = this.high;
    const x = this.x;
    let o = 0;
    for (let j = from; j < to; j++) {
      const code = payload[j]!;
      // Lower sub-band: 6-bit code, inverse quantised with the 60-level quantiser (INVQBL) for
      // the output and the 4-bit truncated one (INVQAL) for the predictor.
      const ilow = code & 0x3f;
      const ihigh = code >> 6;
      let rlow = low.s + ((low.det * QM6[ilow]!) >> 15); // RECONS
      rlow = rlow > 16383 ? 16383 : rlow < -16384 ? -16384 : rlow; // LIMIT
      const ilow4 = ilow >> 2;
      const dlow = (low.det * QM4[ilow4]!) >> 15; // INVQAL
      let nb = ((low.nb * 127) >> 7) + WL[RL42[ilow4]!]!; // LOGSCL
      low.nb = nb < 0 ? 0 : nb > 18432 ? 18432 : nb;
      let shift = 8 - (low.nb >> 11); // SCALEL
      let det = shift < 0 ? ILB[(low.nb >> 6) & 31]! << -shift : ILB[(low.nb >> 6) & 31]! >> shift;
      low.det = det << 2;
      low.update(dlow);

      // Higher sub-band: 2-bit code (INVQAH, LOGSCH, SCALEH).
      const dhigh = (high.det * QM2[ihigh]!) >> 15;
      let rhigh = dhigh + high.s;
      rhigh = rhigh > 16383 ? 16383 : rhigh < -16384 ? -16384 : rhigh;
      nb = ((high.nb * 127) >> 7) + WH[RH2[ihigh]!]!;
      high.nb = nb < 0 ? 0 : nb > 22528 ? 22528 : nb;
      shift = 10 - (high.nb >> 11);
      det = shift < 0 ? ILB[(high.nb >> 6) & 31]! << -shift : ILB[(high.nb >> 6) & 31]! >> shift;
      high.det = det << 2;
      high.update(dhigh);

      // Receive QMF: two 16 kHz output samples per octet. The filters' DC gain is 4096 and the
      // sub-band signals are 15-bit, hence the shift by 11 back to 16-bit PCM.
      let w = this.pos;
      w = w === 22 ? 0 : w + 2; // the window moves on by one pair
      this.pos = w;
      const sum = rlow + rhigh;
      const diff = rlow - rhigh;
      x[w + 22] = sum;
      x[w + 23] = diff;
      if (w + 22 >= 24) {
        x[w - 2] = sum;
        x[w - 1] = diff;
      } else {
        x[w + 46] = sum;
        x[w + 47] = diff;
      }
      let xout1 = 0;
      let xout2 = 0;
      for (let i = 0; i < 12; i++) {
        xout2 += x[w + 2 * i]! * QMF[i]!;
        xout1 += x[w + 2 * i + 1]! * QMF[11 - i]!;
      }
      out[o++] = sat16(xout1 >> 11);
      out[o++] = sat16(xout2 >> 11);
    }
    return o;
  }
}
