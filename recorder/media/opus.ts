// Opus (RFC 7587) through libopus, as bound by @discordjs/opus. Decoded at 48 kHz mono (a stereo
// packet is down-mixed by libopus) and resampled to the file rate by the stream.
//
// The only allocations on the media path live here: the binding takes the packet as a Buffer (a
// view of the jitter buffer's slab) and returns each decoded frame in a new Buffer, copied into
// the shared scratch at once. Both die young; a G.711, G.722 or L16 stream allocates nothing.
import { createRequire } from 'node:module';
import type { AudioDecoder } from './decoder.js';

interface OpusBinding {
  decode(packet: Buffer): Buffer;
}
type OpusCtor = new (rate: number, channels: number) => OpusBinding;

const require = createRequire(import.meta.url);
let ctor: OpusCtor | null = null;

function opusCtor(): OpusCtor {
  // Loaded on first use: a G.711-only recorder never maps the native library.
  ctor ??= (require('@discordjs/opus') as { OpusEncoder: OpusCtor }).OpusEncoder;
  return ctor;
}

/** Samples at 48 kHz per frame for each TOC configuration (RFC 6716 §3.1, Table 2). */
const FRAME_48K = Int32Array.from({ length: 32 }, (_, config) => {
  if (config < 12) return [480, 960, 1920, 2880][config % 4]!; // SILK-only: 10, 20, 40, 60 ms
  if (config < 16) return [480, 960][config % 2]!; // hybrid: 10, 20 ms
  return [120, 240, 480, 960][config % 4]!; // CELT-only: 2.5, 5, 10, 20 ms
});

/** Samples at 48 kHz in one Opus packet, from its TOC byte (and frame count byte for code 3). */
export function opusPacketSamples(payload: Buffer, from: number, to: number): number {
  if (to <= from) return 0;
  const toc = payload[from]!;
  const perFrame = FRAME_48K[toc >> 3]!;
  const code = toc & 3;
  if (code === 0) return perFrame;
  if (code !== 3) return 2 * perFrame;
  return to - from < 2 ? 0 : (payload[from + 1]! & 0x3f) * perFrame;
}

export class OpusDecoder implements AudioDecoder {
  readonly sampleRate = 48000;
  private decoder: OpusBinding;

  constructor() {
    this.decoder = new (opusCtor())(48000, 1);
  }

  samples(payload: Buffer, from: number, to: number): number {
    return opusPacketSamples(payload, from, to);
  }

  decode(payload: Buffer, from: number, to: number, out: Int16Array): number {
    let pcm: Buffer;
    try {
      pcm = this.decoder.decode(payload.subarray(from, to));
    } catch {
      return 0; // a corrupt packet is a lost packet, not a failed recording
    }
    const n = Math.min(pcm.length >> 1, out.length);
    for (let i = 0; i < n; i++) out[i] = pcm.readInt16LE(i * 2);
    return n;
  }

  reset(): void {
    this.decoder = new (opusCtor())(48000, 1);
  }
}
