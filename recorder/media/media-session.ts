// One recording's media: its streams, its timeline and its spool WAV.
import { performance } from 'node:perf_hooks';
import type { RtpStream, StreamStats } from './rtp-stream.js';
import { StereoTimeline } from './stereo-timeline.js';
import { WavFile } from './wav-file.js';

export interface MediaResult {
  spoolPath: string;
  sampleRate: number;
  channels: number;
  durationMs: number;
  bytes: number;
  streams: Array<StreamStats & { label: string; channel: 0 | 1; mixed: boolean; codec: string | null }>;
}

/** Samples kept in memory before they are written: packets later than this are dropped as late. */
export const JITTER_WINDOW_MS = 200;

export class MediaSession {
  readonly timeline: StereoTimeline;
  /** The spool file could not be written: no more audio is taken, the call is to be ended. */
  failed = false;
  private readonly startMs = performance.now();
  private closed = false;

  constructor(
    readonly id: string,
    private readonly wav: WavFile,
    readonly streams: RtpStream[],
    readonly codecNames: Map<string, string | null>,
  ) {
    this.timeline = new StereoTimeline(wav);
  }

  get spoolPath(): string {
    return this.wav.path;
  }

  get sampleRate(): number {
    return this.wav.sampleRate;
  }

  nowPos(): number {
    return Math.floor(((performance.now() - this.startMs) * this.sampleRate) / 1000);
  }

  /** Periodic batch write of everything older than the jitter window. */
  flush(): void {
    if (this.closed) return;
    this.timeline.flushTo(this.nowPos() - (JITTER_WINDOW_MS * this.sampleRate) / 1000);
  }

  /** After a write failure: close the file as it is (its header describes what made it to disk). */
  abandon(): MediaResult {
    if (!this.closed) {
      this.closed = true;
      try {
        this.wav.close();
      } catch {
        // already unusable; what is on disk stays
      }
    }
    return this.result();
  }

  /** Writes the rest up to now, so both channels span the whole session, and closes the file. */
  close(): MediaResult {
    const end = this.nowPos();
    if (!this.closed) {
      this.closed = true;
      this.timeline.flushTo(end);
      this.wav.close();
    }
    return this.result();
  }

  private result(): MediaResult {
    return {
      spoolPath: this.spoolPath,
      sampleRate: this.sampleRate,
      channels: 2,
      durationMs: Math.round((this.timeline.flushedPos * 1000) / this.sampleRate),
      bytes: this.wav.bytes + 44,
      streams: this.streams.map((s) => ({ ...s.stats(), label: s.label, channel: s.channel, mixed: s.mixed, codec: this.codecNames.get(s.label) ?? null })),
    };
  }
}
