// The no-RTP detector of one recording: a stream that gets no RTP for the configured time (from
// its start, or after its last packet) is reported once as `no-rtp`; its next packet reports
// `rtp-resumed` with the length of the gap. It runs on the session's flush (every 250 ms), reading
// the arrival positions the streams keep, so the packet path does nothing for it.
// While the recording session is paused (SIPREC pause) the SRC legitimately sends nothing: no
// stream is reported then, and after the resume each stream's silence counts from the resume.
import type { RtpStream } from './rtp-stream.js';

export type StreamSide = 'left' | 'right' | 'both';

/** Timeline positions in samples of the session's file rate. */
export interface NoRtpReport {
  kind: 'no-rtp';
  /** Where the stream fell silent: its last packet, or its start (or the resume) when it had none since. */
  pos: number;
  details: { label: string; channel: StreamSide; silentMs: number };
}

export interface RtpResumedReport {
  kind: 'rtp-resumed';
  /** The first packet after the gap. */
  pos: number;
  details: { label: string; gapMs: number };
}

interface Watched {
  stream: RtpStream;
  /** Silence is measured from here at the earliest: the stream's start, or the last resume. */
  from: number;
  /** Where the reported silence began; -1 while the stream is not reported silent. */
  silentFrom: number;
}

export class NoRtpWatch {
  private readonly watched: Watched[] = [];
  private readonly limit: number;
  private paused = false;

  constructor(
    private readonly sampleRate: number,
    noRtpSeconds: number,
    private readonly report: (r: NoRtpReport | RtpResumedReport) => void,
  ) {
    this.limit = noRtpSeconds * sampleRate;
  }

  add(stream: RtpStream, nowPos: number): void {
    this.watched.push({ stream, from: nowPos, silentFrom: -1 });
  }

  setPaused(paused: boolean, nowPos: number): void {
    if (this.paused && !paused) for (const w of this.watched) w.from = nowPos;
    this.paused = paused;
  }

  check(nowPos: number): void {
    for (const w of this.watched) {
      const s = w.stream;
      const last = s.lastArrival;
      if (w.silentFrom >= 0) {
        if (last > w.silentFrom) {
          // The first packet after the gap; the newest one if the gap ended in a quick stutter.
          const back = s.gapEnd > w.silentFrom ? s.gapEnd : last;
          this.report({ kind: 'rtp-resumed', pos: back, details: { label: s.label, gapMs: this.ms(back - w.silentFrom) } });
          w.silentFrom = -1;
        }
        continue;
      }
      if (this.paused) continue;
      const since = Math.max(last, w.from);
      if (nowPos - since >= this.limit) {
        w.silentFrom = since;
        const channel: StreamSide = s.mixed ? 'both' : s.channel === 0 ? 'left' : 'right';
        this.report({ kind: 'no-rtp', pos: since, details: { label: s.label, channel, silentMs: this.ms(nowPos - since) } });
      }
    }
  }

  private ms(samples: number): number {
    return Math.round((samples * 1000) / this.sampleRate);
  }
}
