// One recording's media: its streams, its timeline and its spool WAV, and the events the media
// itself carries (DTMF), timed on the recording.
import { performance } from 'node:perf_hooks';
import { JITTER_WINDOW_MS, type RtpStream, type StreamStats } from './rtp-stream.js';
import { StereoTimeline } from './stereo-timeline.js';
import type { WavFile } from './wav-file.js';


export interface MediaResult {
  spoolPath: string;
  sampleRate: number;
  channels: number;
  durationMs: number;
  bytes: number;
  streams: Array<StreamStats & { label: string; channel: 0 | 1; mixed: boolean; codec: string | null }>;
}

/** A timed event found in the media: `at` is the wall-clock time of its position in the recording. */
export interface MediaEvent {
  kind: 'dtmf';
  at: Date;
  /** Milliseconds from the start of the recording. */
  offsetMs: number;
  details: { digit: string; durationMs: number; label: string };
}

export class MediaSession {
  readonly timeline: StereoTimeline;
  readonly streams: RtpStream[] = [];
  /** The spool file could not be written: no more audio is taken, the call is to be ended. */
  failed = false;
  private readonly startMs = performance.now();
  private readonly startWallMs = Date.now();
  private closed = false;

  constructor(
    readonly id: string,
    private readonly wav: WavFile,
    streams: RtpStream[],
    readonly codecNames: Map<string, string | null>,
    private readonly onEvent: (event: MediaEvent) => void = () => undefined,
  ) {
    this.timeline = new StereoTimeline(wav);
    this.addStreams(streams);
  }

  addStreams(streams: RtpStream[]): void {
    for (const s of streams) {
      s.onDtmf = (pos, details) => {
        const offsetMs = Math.round((pos * 1000) / this.sampleRate);
        this.onEvent({ kind: 'dtmf', at: new Date(this.startWallMs + offsetMs), offsetMs, details });
      };
      this.streams.push(s);
    }
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

  /** Periodic batch write: every stream plays out what is older than the jitter window, then the file gets it. */
  flush(): void {
    if (this.closed) return;
    const horizon = this.nowPos() - (JITTER_WINDOW_MS * this.sampleRate) / 1000;
    for (const s of this.streams) s.playout(this.timeline, horizon);
    this.timeline.flushTo(horizon);
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

  /**
   * Writes the rest up to now, so both channels span the whole session, and closes the file. Audio
   * a stream placed beyond now (a backlog read after a stall runs ahead of the wall clock until
   * drift correction has pulled it back) is kept: the file then ends with it.
   */
  close(): MediaResult {
    if (!this.closed) {
      this.closed = true;
      const now = this.nowPos();
      let end = now;
      for (const s of this.streams) {
        s.finish(this.timeline, now);
        if (s.writtenEnd > end) end = s.writtenEnd;
      }
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
