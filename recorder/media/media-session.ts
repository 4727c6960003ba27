// One recording's media: its streams, its timeline and its spool WAV, and the events the media
// itself carries (DTMF), timed on the recording.
import { performance } from 'node:perf_hooks';
import { JITTER_WINDOW_MS, type RtpStream, type StreamStats } from './rtp-stream.js';
import { StereoTimeline } from './stereo-timeline.js';
import type { WavFile } from './wav-file.js';
import { SpeechDetector, type SpeechSegment } from './vad.js';
import { NoRtpWatch, type StreamSide } from './no-rtp-watch.js';

/** The no-RTP check's limit when the engine is given none (config media.noRtpSeconds has the same default). */
export const DEFAULT_NO_RTP_SECONDS = 10;


export interface MediaResult {
  spoolPath: string;
  sampleRate: number;
  channels: number;
  durationMs: number;
  bytes: number;
  streams: Array<StreamStats & { label: string; channel: 0 | 1; mixed: boolean; codec: string | null }>;
  /** Speech per channel of the file, for the player's speaker timeline. */
  speech: SpeechSegment[];
}

/** A timed event found in the media: `at` is the wall-clock time of its position in the recording. */
export type MediaEvent = {
  at: Date;
  /** Milliseconds from the start of the recording. */
  offsetMs: number;
} & (
  | { kind: 'dtmf'; details: { digit: string; durationMs: number; label: string } }
  /** A stream without RTP for the configured time; timed where it fell silent. */
  | { kind: 'no-rtp'; details: { label: string; channel: StreamSide; silentMs: number } }
  /** Its RTP is back; timed at the first packet. */
  | { kind: 'rtp-resumed'; details: { label: string; gapMs: number } }
);

export class MediaSession {
  readonly timeline: StereoTimeline;
  readonly streams: RtpStream[] = [];
  /** The spool file could not be written: no more audio is taken, the call is to be ended. */
  failed = false;
  /** Datagrams the session's sockets delivered (the engine's drain at the end watches it). */
  datagrams = 0;
  private readonly startMs = performance.now();
  private readonly startWallMs = Date.now();
  private closed = false;
  private readonly speech: SpeechDetector;
  private readonly noRtp: NoRtpWatch;

  constructor(
    readonly id: string,
    private readonly wav: WavFile,
    streams: RtpStream[],
    readonly codecNames: Map<string, string | null>,
    private readonly onEvent: (event: MediaEvent) => void = () => undefined,
    opts: { noRtpSeconds?: number } = {},
  ) {
    this.speech = new SpeechDetector(wav.sampleRate);
    this.timeline = new StereoTimeline(wav, this.speech);
    this.noRtp = new NoRtpWatch(wav.sampleRate, opts.noRtpSeconds ?? DEFAULT_NO_RTP_SECONDS, (r) => {
      const offsetMs = this.offsetMs(r.pos);
      const at = new Date(this.startWallMs + offsetMs);
      if (r.kind === 'no-rtp') this.onEvent({ kind: r.kind, at, offsetMs, details: r.details });
      else this.onEvent({ kind: r.kind, at, offsetMs, details: r.details });
    });
    this.addStreams(streams);
  }

  addStreams(streams: RtpStream[]): void {
    const now = this.nowPos();
    for (const s of streams) {
      s.onDtmf = (pos, details) => {
        const offsetMs = this.offsetMs(pos);
        this.onEvent({ kind: 'dtmf', at: new Date(this.startWallMs + offsetMs), offsetMs, details });
      };
      this.streams.push(s);
      this.noRtp.add(s, now);
    }
  }

  /** SIPREC pause/resume: a paused session's streams are not reported for missing RTP. */
  setPaused(paused: boolean): void {
    this.noRtp.setPaused(paused, this.nowPos());
  }

  private offsetMs(pos: number): number {
    return Math.round((Math.max(0, pos) * 1000) / this.sampleRate);
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

  /**
   * Periodic batch write: every stream plays out what is older than the jitter window, then the
   * file gets it (and the speech detector sees it). Then the no-RTP check.
   */
  flush(): void {
    if (this.closed) return;
    const now = this.nowPos();
    const horizon = now - (JITTER_WINDOW_MS * this.sampleRate) / 1000;
    for (const s of this.streams) s.playout(this.timeline, horizon);
    this.timeline.flushTo(horizon);
    this.noRtp.check(now);
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
   * drift correction has pulled it back) is kept: the file then ends with it. `endPos`: where the
   * call ended, when the engine read the sockets' last datagrams after that.
   */
  close(endPos = this.nowPos()): MediaResult {
    if (!this.closed) {
      this.closed = true;
      const now = endPos;
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
      speech: this.speech.finish(),
    };
  }
}
