// What the mixer asks of a payload decoder. One instance per stream (G.722 and Opus keep state
// between packets), fed in sequence order by the jitter buffer, writing into a caller's scratch
// buffer: decoding allocates nothing (Opus aside, see opus.ts).

export interface AudioDecoder {
  /** Sample rate of the decoded audio (not the RTP clock: G.722 is 16000 on an 8000 clock). */
  readonly sampleRate: number;
  /** Samples `payload[from..to)` decodes to, read from the payload without decoding it. */
  samples(payload: Buffer, from: number, to: number): number;
  /** Decodes `payload[from..to)` into `out` from index 0; returns the sample count (0: undecodable). */
  decode(payload: Buffer, from: number, to: number, out: Int16Array): number;
  /** A new sender (SSRC) starts: forget the previous one's state. */
  reset(): void;
}

/** Largest decoded packet any decoder produces: 120 ms of Opus at 48 kHz, or 1500 bytes of G.722. */
export const MAX_DECODED_SAMPLES = 6000;
