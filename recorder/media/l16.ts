// L16 (RFC 3551 §4.5.11): uncompressed 16-bit signed PCM in network byte order (big-endian).
// Mono only; 8000 and 16000 Hz are offered to the mixer (other rates are left to rtpengine).
import type { AudioDecoder } from './decoder.js';

export class L16Decoder implements AudioDecoder {
  constructor(readonly sampleRate: number) {}

  samples(_payload: Buffer, from: number, to: number): number {
    return (to - from) >> 1;
  }

  decode(payload: Buffer, from: number, to: number, out: Int16Array): number {
    let o = 0;
    // An odd trailing byte is not a sample: ignore it.
    for (let i = from; i + 1 < to; i += 2) out[o++] = ((payload[i]! << 24) | (payload[i + 1]! << 16)) >> 16;
    return o;
  }

  reset(): void {}
}
