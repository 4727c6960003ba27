// Drives the real media path (RtpStream -> StereoTimeline -> WavFile) with crafted RTP packets on a
// simulated clock: packets arrive at given timeline positions, and the session's periodic flush
// (every 250 ms: play out and write everything older than the jitter window) runs in between,
// exactly as MediaSession does it on the wall clock.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WavFile } from '../../recorder/media/wav-file.js';
import { StereoTimeline } from '../../recorder/media/stereo-timeline.js';
import { RtpStream, JITTER_WINDOW_MS, type StreamOptions } from '../../recorder/media/rtp-stream.js';
import { mixerCodec } from '../../recorder/media/codecs.js';
import { parseWav, type Wav } from './audio.js';

export function rtpPacket(o: { seq: number; ts: number; ssrc: number; pt: number; payload: Buffer; marker?: boolean }): Buffer {
  const h = Buffer.alloc(12);
  h[0] = 0x80;
  h[1] = o.pt | (o.marker ? 0x80 : 0);
  h.writeUInt16BE(o.seq & 0xffff, 2);
  h.writeUInt32BE(o.ts >>> 0, 4);
  h.writeUInt32BE(o.ssrc >>> 0, 8);
  return Buffer.concat([h, o.payload]);
}

/** RFC 4733 payload: event, E bit, volume 10, duration. */
export function telephoneEvent(event: number, end: boolean, duration: number): Buffer {
  const b = Buffer.alloc(4);
  b[0] = event;
  b[1] = (end ? 0x80 : 0) | 10;
  b.writeUInt16BE(duration, 2);
  return b;
}

export interface HarnessEvent {
  pos: number;
  digit: string;
  durationMs: number;
  label: string;
}

export class MixerHarness {
  readonly dir = mkdtempSync(join(tmpdir(), 'sipvault-mixer-'));
  readonly wav: WavFile;
  readonly timeline: StereoTimeline;
  readonly streams: RtpStream[] = [];
  readonly events: HarnessEvent[] = [];
  private nextFlush: number;
  private readonly flushEvery: number;
  private readonly window: number;

  constructor(readonly fileRate: number) {
    this.wav = new WavFile(join(this.dir, 'h.wav'), fileRate, 2);
    this.timeline = new StereoTimeline(this.wav);
    this.flushEvery = fileRate / 4;
    this.window = (JITTER_WINDOW_MS * fileRate) / 1000;
    this.nextFlush = this.flushEvery;
  }

  stream(o: Partial<StreamOptions> & { encoding?: string; clockRate?: number } = {}): RtpStream {
    const codec = mixerCodec(o.encoding ?? 'PCMU', o.clockRate ?? 8000);
    if (!codec) throw new Error(`no mixer codec ${o.encoding}/${o.clockRate}`);
    const s = new RtpStream({
      label: o.label ?? String(this.streams.length + 1),
      channel: o.channel ?? 0,
      mixed: o.mixed ?? false,
      port: 0,
      socket: null as never,
      codec,
      payloadType: o.payloadType ?? 0,
      eventPayloadType: o.eventPayloadType ?? 101,
      eventClockRate: o.eventClockRate ?? codec.clockRate,
      cnPayloadType: o.cnPayloadType ?? 13,
      fileRate: this.fileRate,
    });
    s.onDtmf = (pos, d) => this.events.push({ pos, ...d });
    this.streams.push(s);
    return s;
  }

  /** Runs the periodic flushes due up to `pos`. */
  advance(pos: number): void {
    while (this.nextFlush <= pos) {
      const horizon = this.nextFlush - this.window;
      for (const s of this.streams) s.playout(this.timeline, horizon);
      if (horizon > 0) this.timeline.flushTo(horizon);
      this.nextFlush += this.flushEvery;
    }
  }

  /** Delivers `packet` to `stream` as arriving at timeline position `at`. */
  deliver(stream: RtpStream, packet: Buffer, at: number): void {
    this.advance(at);
    stream.onPacket(packet, at, this.timeline);
  }

  /** Ends the session at `end` (or later, when a stream wrote beyond it, as MediaSession.close) and returns the file. */
  close(end: number): Wav {
    this.advance(end);
    const now = end;
    for (const s of this.streams) {
      s.finish(this.timeline, now);
      if (s.writtenEnd > end) end = s.writtenEnd;
    }
    this.timeline.flushTo(end);
    this.wav.close();
    return parseWav(readFileSync(join(this.dir, 'h.wav')));
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Longest run of exact zeros in `samples[from..to)`. */
export function longestSilence(samples: Int16Array, from = 0, to = samples.length): number {
  let best = 0;
  let run = 0;
  for (let i = from; i < to; i++) {
    if (samples[i] === 0) {
      run++;
      if (run > best) best = run;
    } else run = 0;
  }
  return best;
}
