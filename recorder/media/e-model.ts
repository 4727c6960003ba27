// An estimated MOS for a recorded stream: ITU-T G.107 E-model, simplified to what a recorder sees.
//   R = R0 - Id - Ie,eff            (Is and A taken as 0, default Ro; R0 = 93.2)
//   Ie,eff = Ie + (95 - Ie) * Ppl / (Ppl / BurstR + Bpl)     (BurstR = 1: random loss)
//   Id from one-way delay d: 0.024 d + 0.11 (d - 177.3) H(d - 177.3)   (the usual simplification)
//   MOS = 1 + 0.035 R + R (R - 60) (100 - R) 7e-6
// Ppl counts packets lost in the network and packets the jitter buffer discarded as late; d is
// the packetisation time plus a jitter buffer of twice the average jitter. It describes the
// recording leg (SRC -> recorder), not what the parties heard: label it "estimated".

const R0 = 93.2;

/** Equipment impairment and packet-loss robustness per codec, narrowband scale. */
interface CodecImpairment {
  ie: number;
  bpl: number;
}

// G.711 with packet-loss concealment: Ie 0, Bpl 25.1 (ITU-T G.113 Appendix I). The others have
// no narrowband-scale entry there; they are at least as good as G.711 without loss, and lost
// packets are concealed by the same repetition here, so they are rated like G.711 (provisional).
const IMPAIRMENT: Record<string, CodecImpairment> = {
  PCMU: { ie: 0, bpl: 25.1 },
  PCMA: { ie: 0, bpl: 25.1 },
  G722: { ie: 0, bpl: 25.1 },
  L16: { ie: 0, bpl: 25.1 },
  OPUS: { ie: 0, bpl: 25.1 },
};

export function rFactor(codec: string, lossPercent: number, delayMs: number): number {
  const { ie, bpl } = IMPAIRMENT[codec.toUpperCase()] ?? { ie: 0, bpl: 25.1 };
  const ppl = Math.max(0, Math.min(100, lossPercent));
  const ieEff = ie + ((95 - ie) * ppl) / (ppl + bpl);
  const d = Math.max(0, delayMs);
  const id = 0.024 * d + (d > 177.3 ? 0.11 * (d - 177.3) : 0);
  return R0 - id - ieEff;
}

export function mosFromR(r: number): number {
  if (r <= 0) return 1;
  if (r >= 100) return 4.5;
  return 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6;
}

/** Estimated MOS (1..4.5, two decimals) from loss (fraction 0..1), average jitter and packet time. */
export function estimateMos(codec: string, lossFraction: number, jitterAvgMs: number, packetMs: number): number {
  const delay = packetMs + 2 * jitterAvgMs;
  return Math.round(mosFromR(rFactor(codec, lossFraction * 100, delay)) * 100) / 100;
}
