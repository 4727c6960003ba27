// The call's stereo timeline: two rings of PCM at the file rate, indexed by absolute sample position
// since the session started. Streams mix decoded samples in at the position their RTP timestamps
// map to (several streams on one side add up, with saturation); the session flushes everything
// older than the jitter window to the WAV file in one batch. Nothing here allocates per packet:
// rings and the interleave buffer are allocated once.
import type { WavFile } from './wav-file.js';

/** Ring length at 8 kHz: 4.1 s, room for the jitter window plus the flush period. Twice that at 16 kHz. */
export const RING_SAMPLES = 1 << 15;
const MAX_RING = RING_SAMPLES * 2;

// One interleave buffer for every session: flushes run synchronously one after the other. Written
// through an Int16Array view (little-endian hosts, as WAV wants; checked below).
const scratch16 = new Int16Array(MAX_RING * 2);
const scratch = Buffer.from(scratch16.buffer);
if (new Uint8Array(Int16Array.of(1).buffer)[0] !== 1) throw new Error('sipvault needs a little-endian host');

/** Sees every batch of interleaved PCM as it goes to the file (the speech detector). */
export interface PcmAnalyser {
  analyse(interleaved: Int16Array, count: number): void;
}

export function ringSamplesFor(sampleRate: number): number {
  return sampleRate > 8000 ? MAX_RING : RING_SAMPLES;
}

export class StereoTimeline {
  private readonly ring: number;
  private readonly mask: number;
  private readonly channels: readonly [Int16Array, Int16Array];
  /** Everything before this position is on disk. */
  flushedPos = 0;

  constructor(
    private readonly wav: WavFile,
    private readonly analyser: PcmAnalyser | null = null,
  ) {
    this.ring = ringSamplesFor(wav.sampleRate);
    this.mask = this.ring - 1;
    this.channels = [new Int16Array(this.ring), new Int16Array(this.ring)];
  }

  get sampleRate(): number {
    return this.wav.sampleRate;
  }

  /**
   * Mixes `src[from..from+count)` into `channel` at `pos`. Samples before the flushed position are
   * dropped; returns false when that was all of them. A position beyond the ring forces an early
   * flush rather than overwriting audio.
   */
  mix(channel: 0 | 1, pos: number, src: Int16Array, from: number, count: number): boolean {
    if (count <= 0 || pos + count <= this.flushedPos) return false;
    if (pos + count > this.flushedPos + this.ring) this.flushTo(pos + count - this.ring);
    const ring = this.channels[channel];
    const mask = this.mask;
    let i = from;
    let p = pos;
    const end = from + count;
    if (p < this.flushedPos) {
      i += this.flushedPos - p;
      p = this.flushedPos;
    }
    for (; i < end; i++, p++) {
      const idx = p & mask;
      const v = ring[idx]! + src[i]!;
      ring[idx] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    }
    return true;
  }

  /** Writes [flushedPos, pos) interleaved LEFT/RIGHT, silence where no stream wrote. */
  flushTo(pos: number): void {
    const left = this.channels[0];
    const right = this.channels[1];
    const mask = this.mask;
    while (this.flushedPos < pos) {
      const count = Math.min(pos - this.flushedPos, this.ring);
      let o = 0;
      for (let k = 0, p = this.flushedPos; k < count; k++, p++) {
        const idx = p & mask;
        scratch16[o++] = left[idx]!;
        scratch16[o++] = right[idx]!;
        left[idx] = 0;
        right[idx] = 0;
      }
      this.wav.append(scratch, o * 2);
      this.analyser?.analyse(scratch16, count);
      this.flushedPos += count;
    }
  }
}
