// ITU-T G.711 expansion as 256-entry lookup tables: one array read per sample on the hot path.
import type { AudioDecoder } from './decoder.js';

function ulawToLinear(u: number): number {
  const x = ~u & 0xff;
  const sign = x & 0x80;
  const exponent = (x >> 4) & 0x07;
  const mantissa = x & 0x0f;
  const magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
  return sign ? -magnitude : magnitude;
}

function alawToLinear(a: number): number {
  const x = a ^ 0x55;
  const sign = x & 0x80;
  const exponent = (x >> 4) & 0x07;
  const mantissa = x & 0x0f;
  let magnitude = exponent === 0 ? (mantissa << 4) + 8 : ((mantissa << 4) + 0x108) << (exponent - 1);
  return sign ? magnitude : -magnitude;
}

export const ULAW_TABLE = Int16Array.from({ length: 256 }, (_, i) => ulawToLinear(i));
export const ALAW_TABLE = Int16Array.from({ length: 256 }, (_, i) => alawToLinear(i));

// Encoders are used by tests and the load generator, never on the recorder's receive path.
export function linearToUlaw(sample: number): number {
  const BIAS = 0x84;
  let s = Math.max(-32635, Math.min(32635, Math.round(sample)));
  const sign = s < 0 ? 0x80 : 0;
  if (s < 0) s = -s;
  s += BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

export function linearToAlaw(sample: number): number {
  // 13-bit magnitude segments as in G.711 §A: segment ends 0x1F, 0x3F, ... 0xFFF.
  let v = Math.max(-32768, Math.min(32767, Math.round(sample))) >> 3;
  let mask = 0xd5;
  if (v < 0) {
    mask = 0x55;
    v = -v - 1;
  }
  let seg = 0;
  while (seg < 8 && v > (0x20 << seg) - 1) seg++;
  if (seg >= 8) return 0x7f ^ mask;
  const aval = (seg << 4) | ((seg < 2 ? v >> 1 : v >> seg) & 0x0f);
  return aval ^ mask;
}

/** PCMU or PCMA: one table read per sample, no state. */
export class G711Decoder implements AudioDecoder {
  readonly sampleRate = 8000;

  constructor(private readonly table: Int16Array) {}

  samples(_payload: Buffer, from: number, to: number): number {
    return to - from;
  }

  decode(payload: Buffer, from: number, to: number, out: Int16Array): number {
    const table = this.table;
    let o = 0;
    for (let i = from; i < to; i++) out[o++] = table[payload[i]!]!;
    return o;
  }

  reset(): void {}
}
