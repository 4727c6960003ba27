// The call's stereo timeline: two rings of PCM indexed by absolute sample position since the
// session started. Streams write decoded samples at the position their RTP timestamp maps to; the
// engine flushes everything older than the jitter window to the WAV file in one batch. Nothing
// here allocates per packet: rings and the interleave buffer are allocated once.
import type { WavFile } from './wav-file.js';

export const RING_SAMPLES = 1 << 15; // 4.1 s at 8 kHz: room for the jitter window plus flush period
const MASK = RING_SAMPLES - 1;

// One interleave buffer for every session: flushes run synchronously one after the other.
const scratch = Buffer.allocUnsafe(RING_SAMPLES * 4);

export class StereoTimeline {
  private readonly channels = [new Int16Array(RING_SAMPLES), new Int16Array(RING_SAMPLES)] as const;
  /** Everything before this position is on disk. */
  flushedPos = 0;

  constructor(private readonly wav: WavFile) {}

  /**
   * Decodes 8-bit companded samples `payload[from..to)` through `table` and mixes them in at
   * `pos`. Returns false (nothing written) when the packet is entirely older than what is on disk.
   */
  mix8(channel: 0 | 1, pos: number, payload: Buffer, from: number, to: number, table: Int16Array): boolean {
    const n = to - from;
    if (pos + n <= this.flushedPos) return false;
    if (pos + n > this.flushedPos + RING_SAMPLES) this.flushTo(pos + n - RING_SAMPLES);
    const ring = this.channels[channel];
    let i = from;
    let p = pos;
    if (p < this.flushedPos) {
      i += this.flushedPos - p;
      p = this.flushedPos;
    }
    for (; i < to; i++, p++) {
      const idx = p & MASK;
      const v = ring[idx]! + table[payload[i]!]!;
      ring[idx] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    }
    return true;
  }

  /** Writes [flushedPos, pos) interleaved LEFT/RIGHT, silence where no stream wrote. */
  flushTo(pos: number): void {
    while (this.flushedPos < pos) {
      const count = Math.min(pos - this.flushedPos, RING_SAMPLES);
      const [left, right] = this.channels;
      let o = 0;
      for (let k = 0, p = this.flushedPos; k < count; k++, p++) {
        const idx = p & MASK;
        scratch.writeInt16LE(left[idx]!, o);
        scratch.writeInt16LE(right[idx]!, o + 2);
        left[idx] = 0;
        right[idx] = 0;
        o += 4;
      }
      this.wav.append(scratch, o);
      this.flushedPos += count;
    }
  }
}
