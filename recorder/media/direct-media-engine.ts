// `media.relay: direct`: the SRC sends RTP straight to our ports. One socket per stream, one
// timer for every session's batch writes, staggered so no tick stalls the packet path.
import { createSocket, type Socket } from 'node:dgram';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Logger } from 'pino';
import { PortAllocator } from './port-allocator.js';
import { RtpStream } from './rtp-stream.js';
import { MediaSession, type MediaEvent, type MediaResult } from './media-session.js';
import { fileSampleRate, mixerCodec, STATIC_CN_PAYLOAD_TYPE, type MixerCodec } from './codecs.js';
import { WavFile } from './wav-file.js';

export interface StreamRequest {
  label: string;
  channel: 0 | 1;
  mixed: boolean;
  /** Offered payload types with their encodings, in offer order. */
  offered: Array<{ payloadType: number; encoding: string; clockRate: number }>;
}

export interface StreamGrant {
  label: string;
  port: number;
  /** The payload type chosen for audio, or null when none of the offered codecs is supported. */
  payloadType: number | null;
  /** The telephone-event payload type when it was offered. */
  eventPayloadType: number | null;
}

export class MediaResourceError extends Error {}

/** What one m-line gets: its audio codec (first offered that the mixer decodes) and companions. */
interface StreamPlan {
  request: StreamRequest;
  audio: { payloadType: number; codec: MixerCodec } | null;
  event: { payloadType: number; clockRate: number } | null;
  cnPayloadType: number;
}

function plan(req: StreamRequest): StreamPlan {
  let audio: StreamPlan['audio'] = null;
  for (const o of req.offered) {
    const codec = mixerCodec(o.encoding, o.clockRate);
    if (codec) {
      audio = { payloadType: o.payloadType, codec };
      break;
    }
  }
  const event = req.offered.find((o) => o.encoding.toUpperCase() === 'TELEPHONE-EVENT');
  const cn = req.offered.find((o) => o.encoding.toUpperCase() === 'CN');
  return {
    request: req,
    audio,
    event: event ? { payloadType: event.payloadType, clockRate: event.clockRate } : null,
    // RFC 3551 gives CN the static type 13; SRCs forward it whether or not the offer listed it.
    cnPayloadType: cn?.payloadType ?? STATIC_CN_PAYLOAD_TYPE,
  };
}

/** Each session plays out and writes every 250 ms; one tick in ten serves one tenth of them. */
const FLUSH_INTERVAL_MS = 250;
const FLUSH_SLICES = 10;
/**
 * At the end of a call the sockets are read until a turn of the event loop brings no datagram,
 * at most this long: when the loop was behind, the call's last packets are still in the kernel.
 */
const DRAIN_MAX_MS = 100;

export class DirectMediaEngine {
  private readonly ports: PortAllocator;
  private readonly sessions = new Map<string, MediaSession>();
  private timer: NodeJS.Timeout | null = null;
  private tick = 0;
  private opened = 0;
  private readonly slices = new Map<string, number>();

  constructor(
    private readonly opts: {
      portRange: [number, number];
      bindAddress: string;
      spoolDir: string;
      logger: Logger;
      /** A session whose spool file cannot be written any more (disk full, I/O error). Called once. */
      onFailure?: (id: string, err: Error) => void;
      /** A timed event found in a session's media (a DTMF key press, a stream without RTP). */
      onEvent?: (id: string, event: MediaEvent) => void;
      /** A stream without RTP this long is reported (media.noRtpSeconds). */
      noRtpSeconds?: number;
    },
  ) {
    this.ports = new PortAllocator(opts.portRange[0], opts.portRange[1]);
    mkdirSync(opts.spoolDir, { recursive: true });
  }

  get activeSessions(): number {
    return this.sessions.size;
  }

  /**
   * Picks one codec per stream (first offered that the mixer decodes), binds its socket, opens the
   * spool file: 16 kHz when any chosen codec is wideband, else 8 kHz.
   */
  async open(id: string, requests: StreamRequest[]): Promise<StreamGrant[]> {
    const codecNames = new Map<string, string | null>();
    const plans = requests.map(plan);
    const sampleRate = fileSampleRate(plans.flatMap((p) => (p.audio ? [p.audio.codec] : [])));
    const { grants, streams } = await this.bindStreams(plans, codecNames, sampleRate);
    let wav: WavFile;
    try {
      wav = await WavFile.create(join(this.opts.spoolDir, `${id}.wav`), sampleRate, 2);
    } catch (err) {
      for (const s of streams) this.releaseStream(s);
      throw new MediaResourceError(`cannot create the spool file: ${(err as Error).message}`);
    }
    const session = new MediaSession(id, wav, streams, codecNames, (event) => this.emit(id, event), { noRtpSeconds: this.opts.noRtpSeconds });
    this.attach(session, streams);
    this.sessions.set(id, session);
    this.slices.set(id, this.opened++ % FLUSH_SLICES);
    this.timer ??= setInterval(() => this.flushSlice(), FLUSH_INTERVAL_MS / FLUSH_SLICES);
    return grants;
  }

  /** Streams added mid-call (a re-INVITE with more m-lines): they join the running timeline. */
  async addStreams(id: string, requests: StreamRequest[]): Promise<StreamGrant[]> {
    const session = this.sessions.get(id);
    if (!session) throw new MediaResourceError(`no media session ${id}`);
    // A wideband stream joining a narrowband file is converted down to it (and vice versa).
    const { grants, streams } = await this.bindStreams(requests.map(plan), session.codecNames, session.sampleRate);
    if (!this.sessions.has(id)) {
      for (const s of streams) this.releaseStream(s); // the call ended while we were binding
      return grants.map((g) => ({ ...g, port: 0, payloadType: null }));
    }
    session.addStreams(streams);
    this.attach(session, streams);
    return grants;
  }

  /** New channel sides after the parties were re-decided (a metadata update). */
  setChannels(id: string, assignments: Array<{ label: string; channel: 0 | 1; mixed: boolean }>): void {
    const session = this.sessions.get(id);
    if (!session) return;
    for (const a of assignments) {
      const s = session.streams.find((x) => x.label === a.label);
      if (s) {
        s.channel = a.channel;
        s.mixed = a.mixed;
      }
    }
  }

  /** The recording session was paused or resumed (SIPREC): no RTP is expected while paused. */
  setPaused(id: string, paused: boolean): void {
    this.sessions.get(id)?.setPaused(paused);
  }

  private attach(session: MediaSession, streams: RtpStream[]): void {
    for (const s of streams) {
      s.socket.on('message', (msg) => {
        session.datagrams++;
        if (session.failed) return;
        try {
          s.onPacket(msg, session.nowPos(), session.timeline);
        } catch (err) {
          this.fail(session, err as Error); // a forced early flush hit the failing disk
        }
      });
    }
  }

  private async bindStreams(plans: StreamPlan[], codecNames: Map<string, string | null>, fileRate: number): Promise<{ grants: StreamGrant[]; streams: RtpStream[] }> {
    const grants: StreamGrant[] = [];
    const streams: RtpStream[] = [];
    try {
      for (const { request: req, audio, event, cnPayloadType } of plans) {
        if (!audio) {
          grants.push({ label: req.label, port: 0, payloadType: null, eventPayloadType: null });
          continue;
        }
        const { socket, port } = await this.bind();
        const stream = new RtpStream({
          label: req.label,
          channel: req.channel,
          mixed: req.mixed,
          port,
          socket,
          codec: audio.codec,
          payloadType: audio.payloadType,
          eventPayloadType: event?.payloadType ?? null,
          eventClockRate: event?.clockRate ?? audio.codec.clockRate,
          cnPayloadType: cnPayloadType === audio.payloadType || cnPayloadType === event?.payloadType ? null : cnPayloadType,
          fileRate,
        });
        streams.push(stream);
        codecNames.set(req.label, audio.codec.encoding);
        grants.push({ label: req.label, port, payloadType: audio.payloadType, eventPayloadType: event?.payloadType ?? null });
      }
    } catch (err) {
      for (const s of streams) this.releaseStream(s);
      throw err;
    }
    return { grants, streams };
  }

  /**
   * Ends a session: what the kernel still holds for its sockets is read first (at most
   * DRAIN_MAX_MS), then the sockets close and the file is completed up to now (the call's end).
   */
  async close(id: string): Promise<MediaResult | null> {
    const session = this.sessions.get(id);
    if (!session) return null;
    const endPos = session.nowPos();
    this.sessions.delete(id);
    this.slices.delete(id);
    if (!session.failed) await drain(session);
    for (const s of session.streams) this.releaseStream(s);
    let result: MediaResult;
    if (session.failed) {
      result = session.abandon();
    } else {
      try {
        result = session.close(endPos);
      } catch (err) {
        this.opts.logger.error({ err, session: id }, 'spool write failed at the end of the call');
        result = session.abandon();
      }
    }
    if (this.sessions.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
    return result;
  }

  /** Closes every session (shutdown): their files are complete up to now. */
  async closeAll(): Promise<Array<[string, MediaResult]>> {
    return Promise.all([...this.sessions.keys()].map(async (id) => [id, (await this.close(id))!] as [string, MediaResult]));
  }

  /** One slice of the sessions: each is flushed every FLUSH_INTERVAL_MS, the work spread over the interval. */
  private flushSlice(): void {
    const slice = this.tick++ % FLUSH_SLICES;
    for (const session of this.sessions.values()) {
      if (session.failed || this.slices.get(session.id) !== slice) continue;
      try {
        session.flush();
      } catch (err) {
        this.fail(session, err as Error);
      }
    }
  }


  /** An event must never stop the recording: a catalog error is logged, not thrown into the media path. */
  private emit(id: string, event: MediaEvent): void {
    if (!this.opts.onEvent) return;
    try {
      this.opts.onEvent(id, event);
    } catch (err) {
      this.opts.logger.warn({ err, session: id, kind: event.kind }, 'media event not stored');
    }
  }

  /** Keeps what is on disk, stops writing this session, and lets the recorder end the call. */
  private fail(session: MediaSession, err: Error): void {
    if (session.failed) return;
    session.failed = true;
    this.opts.logger.error({ err, session: session.id }, 'spool write failed');
    this.opts.onFailure?.(session.id, err);
  }

  private releaseStream(s: RtpStream): void {
    s.socket.removeAllListeners('message');
    s.socket.close();
    this.ports.release(s.port);
  }

  private async bind(): Promise<{ socket: Socket; port: number }> {
    for (let attempt = 0; attempt < 16; attempt++) {
      const port = this.ports.take();
      if (port === null) throw new MediaResourceError('no free RTP port in media.rtpPorts');
      const socket = createSocket({ type: this.opts.bindAddress.includes(':') ? 'udp6' : 'udp4' });
      try {
        await new Promise<void>((resolve, reject) => {
          socket.once('error', reject);
          socket.bind(port, this.opts.bindAddress, () => {
            socket.off('error', reject);
            resolve();
          });
        });
        socket.on('error', (err) => this.opts.logger.warn({ err, port }, 'RTP socket error'));
        return { socket, port };
      } catch {
        socket.close();
        // Somebody else holds it; leave it out of the pool until restart and try the next.
      }
    }
    throw new MediaResourceError('could not bind an RTP port in media.rtpPorts');
  }
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Lets the event loop deliver the session's queued datagrams: done after a full turn (its poll
 * phase reads every ready socket) without one, or at DRAIN_MAX_MS while the sender keeps sending.
 */
async function drain(session: MediaSession): Promise<void> {
  const deadline = performance.now() + DRAIN_MAX_MS;
  // The first turn may run in this very iteration's check phase, after a poll phase that read
  // only part of a long queue (libuv reads a bounded number of datagrams per socket per turn);
  // from there on every turn includes a poll.
  await nextTurn();
  for (;;) {
    const seen = session.datagrams;
    await nextTurn();
    if (session.datagrams === seen || performance.now() >= deadline || session.failed) return;
  }
}
