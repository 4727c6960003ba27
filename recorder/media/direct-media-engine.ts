// `media.relay: direct`: the SRC sends RTP straight to our ports. One socket per stream, one
// timer for every session's batch writes.
import { createSocket, type Socket } from 'node:dgram';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Logger } from 'pino';
import { PortAllocator } from './port-allocator.js';
import { RtpStream } from './rtp-stream.js';
import { MediaSession, type MediaResult } from './media-session.js';
import { mixerCodec } from './codecs.js';
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

const FLUSH_INTERVAL_MS = 250;

export class DirectMediaEngine {
  private readonly ports: PortAllocator;
  private readonly sessions = new Map<string, MediaSession>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly opts: {
      portRange: [number, number];
      bindAddress: string;
      spoolDir: string;
      logger: Logger;
      /** A session whose spool file cannot be written any more (disk full, I/O error). Called once. */
      onFailure?: (id: string, err: Error) => void;
    },
  ) {
    this.ports = new PortAllocator(opts.portRange[0], opts.portRange[1]);
    mkdirSync(opts.spoolDir, { recursive: true });
  }

  get activeSessions(): number {
    return this.sessions.size;
  }

  /** Picks one codec per stream (first offered that the mixer decodes), binds its socket, opens the spool file. */
  async open(id: string, requests: StreamRequest[]): Promise<StreamGrant[]> {
    const codecNames = new Map<string, string | null>();
    const { grants, streams } = await this.bindStreams(requests, codecNames);
    let wav: WavFile;
    try {
      wav = await WavFile.create(join(this.opts.spoolDir, `${id}.wav`), 8000, 2);
    } catch (err) {
      for (const s of streams) this.releaseStream(s);
      throw new MediaResourceError(`cannot create the spool file: ${(err as Error).message}`);
    }
    const session = new MediaSession(id, wav, streams, codecNames);
    this.attach(session, streams);
    this.sessions.set(id, session);
    this.timer ??= setInterval(() => this.flushAll(), FLUSH_INTERVAL_MS);
    return grants;
  }

  /** Streams added mid-call (a re-INVITE with more m-lines): they join the running timeline. */
  async addStreams(id: string, requests: StreamRequest[]): Promise<StreamGrant[]> {
    const session = this.sessions.get(id);
    if (!session) throw new MediaResourceError(`no media session ${id}`);
    const { grants, streams } = await this.bindStreams(requests, session.codecNames);
    if (!this.sessions.has(id)) {
      for (const s of streams) this.releaseStream(s); // the call ended while we were binding
      return grants.map((g) => ({ ...g, port: 0, payloadType: null }));
    }
    session.streams.push(...streams);
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

  private attach(session: MediaSession, streams: RtpStream[]): void {
    for (const s of streams) {
      s.socket.on('message', (msg) => {
        if (session.failed) return;
        try {
          s.onPacket(msg, session.nowPos(), session.timeline);
        } catch (err) {
          this.fail(session, err as Error); // a forced early flush hit the failing disk
        }
      });
    }
  }

  private async bindStreams(requests: StreamRequest[], codecNames: Map<string, string | null>): Promise<{ grants: StreamGrant[]; streams: RtpStream[] }> {
    const grants: StreamGrant[] = [];
    const streams: RtpStream[] = [];
    try {
      for (const req of requests) {
        const audio = req.offered.find((o) => mixerCodec(o.encoding, o.clockRate));
        const event = req.offered.find((o) => o.encoding.toUpperCase() === 'TELEPHONE-EVENT');
        if (!audio) {
          grants.push({ label: req.label, port: 0, payloadType: null, eventPayloadType: null });
          continue;
        }
        const { socket, port } = await this.bind();
        const codec = mixerCodec(audio.encoding, audio.clockRate)!;
        const stream = new RtpStream(req.label, req.channel, req.mixed, port, socket, new Map([[audio.payloadType, codec.table]]), event?.payloadType ?? null, codec.clockRate);
        streams.push(stream);
        codecNames.set(req.label, codec.encoding);
        grants.push({ label: req.label, port, payloadType: audio.payloadType, eventPayloadType: event?.payloadType ?? null });
      }
    } catch (err) {
      for (const s of streams) this.releaseStream(s);
      throw err;
    }
    return { grants, streams };
  }

  close(id: string): MediaResult | null {
    const session = this.sessions.get(id);
    if (!session) return null;
    this.sessions.delete(id);
    for (const s of session.streams) this.releaseStream(s);
    let result: MediaResult;
    if (session.failed) {
      result = session.abandon();
    } else {
      try {
        result = session.close();
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
  closeAll(): Array<[string, MediaResult]> {
    return [...this.sessions.keys()].map((id) => [id, this.close(id)!] as [string, MediaResult]);
  }

  private flushAll(): void {
    for (const session of this.sessions.values()) {
      if (session.failed) continue;
      try {
        session.flush();
      } catch (err) {
        this.fail(session, err as Error);
      }
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
