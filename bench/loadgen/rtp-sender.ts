// The load generator's RTP sender: a child process that plays every stream of every call in real
// time, so the SIP side and the verification never delay a packet (and its CPU is measured apart).
//
// Hot path, per 20 ms packet: no allocation of ours. Each stream owns a connected UDP socket (an
// SRC's stream has its own source port, and a connected socket skips dgram's per-send address
// lookup) and a few pre-built packets (header fields and payload written once); sending rewrites
// sequence number and timestamp in place. One 1 ms interval timer drives a timing wheel: a stream
// sits in the slot of its next packet's due time, so the calls spread over the 20 ms period as
// their start times fall and each tick touches only the streams due. Lateness (actual - due) goes
// into a 1 ms histogram, so a sender that falls behind shows in the result.
//
// Impairments (optional, seeded per stream): random loss (never the first packet, and a trailing
// loss the receiver cannot know of is not counted), jitter (each packet up to `jitterMs` late,
// order kept), reordering (a packet held back and sent right after the next one).
import { fork, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { setPriority } from 'node:os';
import { codecSdp, payloadLoop, type LoadCodec } from './payloads.js';
import { histogramPercentile } from './percentile.js';

export interface Impairment {
  lossPct: number;
  jitterMs: number;
  reorderPct: number;
}

export interface StreamSpec {
  key: number;
  host: string;
  port: number;
  codec: LoadCodec;
  freq: number;
  /** Offset of the first packet from now, ms (spreads the two legs of a call). */
  offsetMs: number;
}

export interface StreamReport {
  key: number;
  sent: number;
  /** Packets not sent on purpose (loss impairment) before the last packet sent: the receiver's "lost". */
  dropped: number;
  reordered: number;
  /** Send errors (ECONNREFUSED: the far port was closed). */
  errors: number;
  /** Epoch ms of the first and last packet sent (0 when none). */
  firstAt: number;
  lastAt: number;
  /** How late the first packet went out, ms: the receiver anchors its timeline on it. */
  firstLateMs: number;
}

export interface SenderStats {
  packets: number;
  latenessMs: { p50: number | null; p99: number | null; max: number };
  cpuSec: number;
  activeStreams: number;
}

type ToSender =
  | { type: 'prepare'; id: number; tones: Array<[LoadCodec, number]>; impair: Impairment }
  | { type: 'start'; streams: StreamSpec[] }
  | { type: 'stop'; id: number; keys: number[] }
  | { type: 'stats'; id: number };
type FromSender = { type: 'reply'; id: number; value: unknown } | { type: 'error'; message: string };

export const SENDER_NICE = -10;
const WHEEL = 256; // ms; must exceed 20 ms + the largest jitter
export const MAX_JITTER_MS = 100;
const PACKETS_PER_STREAM = 4; // buffers in rotation for G.711 (a queued send keeps its bytes)

// ---------------------------------------------------------------- child side

class Stream {
  active = true;
  n = 0;
  sent = 0;
  dropped = 0;
  pendingDrops = 0;
  reordered = 0;
  errors = 0;
  held: Buffer | null = null;
  due = 0;
  firstAt = 0;
  lastAt = 0;
  firstLate = 0;
  rng: number;
  readonly tsStep: number;
  readonly pt: number;

  constructor(
    readonly key: number,
    readonly socket: Socket,
    readonly packets: Buffer[],
    readonly t0: number,
    readonly seq0: number,
    readonly ts0: number,
    codec: LoadCodec,
  ) {
    this.tsStep = codecSdp(codec).tsPer20ms;
    this.pt = codecSdp(codec).pt;
    this.rng = (key * 2654435761) >>> 0 || 1;
  }

  /** xorshift32 in [0, 1): deterministic per stream, no allocation. */
  random(): number {
    let x = this.rng;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rng = x >>> 0;
    return this.rng / 4294967296;
  }
}

function runChild(): void {
  const loops = new Map<string, Buffer[]>();
  let impair: Impairment = { lossPct: 0, jitterMs: 0, reorderPct: 0 };
  const wheel: Stream[][] = Array.from({ length: WHEEL }, () => []);
  const streams = new Map<number, Stream>();
  const lateness = new Uint32Array(1001);
  let maxLate = 0;
  let packets = 0;
  let cpu0 = process.cpuUsage();
  let cursor = Math.floor(performance.now());
  const epoch = performance.timeOrigin;

  const schedule = (s: Stream) => {
    const jitter = impair.jitterMs > 0 ? Math.floor(s.random() * impair.jitterMs) : 0;
    // Order is kept: a packet due before the previous one went out is due when that one went.
    s.due = Math.max(s.t0 + 20 * s.n + jitter, cursor);
    const at = Math.max(Math.floor(s.due), cursor + 1);
    wheel[at % WHEEL]!.push(s);
  };

  const sendOne = (s: Stream, now: number) => {
    const n = s.n;
    const buf = s.packets[n % s.packets.length]!;
    buf[1] = n === 0 ? s.pt | 0x80 : s.pt;
    buf.writeUInt16BE((s.seq0 + n) & 0xffff, 2);
    buf.writeUInt32BE((s.ts0 + n * s.tsStep) >>> 0, 4);
    const late = now - s.due;
    if (late > maxLate) maxLate = late;
    lateness[late < 0 ? 0 : late >= 1000 ? 1000 : Math.floor(late)]!++;
    if (n === 0) s.firstLate = late;
    s.n = n + 1;
    if (n > 0 && impair.lossPct > 0 && s.random() * 100 < impair.lossPct) {
      s.pendingDrops++;
      return;
    }
    if (n > 0 && s.held === null && impair.reorderPct > 0 && s.random() * 100 < impair.reorderPct) {
      s.held = buf;
      return;
    }
    s.socket.send(buf);
    s.sent++;
    packets++;
    if (s.firstAt === 0) s.firstAt = epoch + now;
    s.lastAt = epoch + now;
    s.dropped += s.pendingDrops;
    s.pendingDrops = 0;
    if (s.held !== null) {
      s.socket.send(s.held);
      s.held = null;
      s.sent++;
      s.reordered++;
      packets++;
    }
  };

  setInterval(() => {
    const now = performance.now();
    const upTo = Math.floor(now);
    while (cursor < upTo) {
      cursor++;
      const slot = wheel[cursor % WHEEL]!;
      for (let j = 0; j < slot.length; j++) {
        const s = slot[j]!;
        if (!s.active) continue;
        sendOne(s, now);
        schedule(s);
      }
      slot.length = 0;
    }
  }, 1);

  const packetsFor = (codec: LoadCodec, freq: number): Buffer[] => {
    const loop = loops.get(`${codec}/${freq}`);
    if (!loop) throw new Error(`tone ${codec}/${freq} was not prepared`);
    const pt = codecSdp(codec).pt;
    const ssrc = randomInt(1, 2 ** 32 - 1);
    const copies = loop.length === 1 ? PACKETS_PER_STREAM : loop.length;
    return Array.from({ length: copies }, (_, i) => {
      const payload = loop[i % loop.length]!;
      const b = Buffer.alloc(12 + payload.length);
      b[0] = 0x80;
      b[1] = pt;
      b.writeUInt32BE(ssrc, 8);
      payload.copy(b, 12);
      return b;
    });
  };

  const start = (spec: StreamSpec) => {
    const socket = createSocket('udp4');
    const packetsOf = packetsFor(spec.codec, spec.freq);
    socket.on('error', () => {
      const s = streams.get(spec.key);
      if (s) s.errors++;
    });
    socket.connect(spec.port, spec.host, () => {
      const t0 = Math.floor(performance.now()) + 1 + spec.offsetMs;
      const s = new Stream(spec.key, socket, packetsOf, t0, randomInt(0, 65536), randomInt(0, 2 ** 32 - 1), spec.codec);
      streams.set(spec.key, s);
      schedule(s);
    });
  };

  const stop = (key: number): StreamReport => {
    const s = streams.get(key);
    if (!s) return { key, sent: 0, dropped: 0, reordered: 0, errors: 0, firstAt: 0, lastAt: 0, firstLateMs: 0 };
    s.active = false;
    if (s.held !== null) {
      s.socket.send(s.held);
      s.sent++;
      s.held = null;
    }
    streams.delete(key);
    s.socket.close();
    return { key, sent: s.sent, dropped: s.dropped, reordered: s.reordered, errors: s.errors, firstAt: Math.round(s.firstAt), lastAt: Math.round(s.lastAt), firstLateMs: Math.round(s.firstLate * 10) / 10 };
  };

  const reply = (id: number, value: unknown) => process.send!({ type: 'reply', id, value } satisfies FromSender);
  process.on('message', (m: ToSender) => {
    try {
      switch (m.type) {
        case 'prepare':
          impair = m.impair;
          for (const [codec, freq] of m.tones) if (!loops.has(`${codec}/${freq}`)) loops.set(`${codec}/${freq}`, payloadLoop(codec, freq));
          reply(m.id, null);
          break;
        case 'start':
          for (const spec of m.streams) start(spec);
          break;
        case 'stop':
          reply(m.id, m.keys.map(stop));
          break;
        case 'stats': {
          const cpu = process.cpuUsage(cpu0);
          cpu0 = process.cpuUsage();
          const value: SenderStats = {
            packets,
            latenessMs: { p50: histogramPercentile(lateness, 50), p99: histogramPercentile(lateness, 99), max: Math.round(maxLate * 10) / 10 },
            cpuSec: (cpu.user + cpu.system) / 1e6,
            activeStreams: streams.size,
          };
          lateness.fill(0);
          maxLate = 0;
          packets = 0;
          reply(m.id, value);
          break;
        }
      }
    } catch (err) {
      process.send!({ type: 'error', message: (err as Error).message } satisfies FromSender);
    }
  });
  process.on('disconnect', () => process.exit(0));
}

if (process.argv[2] === '--loadgen-rtp-sender') runChild();

// ---------------------------------------------------------------- parent side

/** Handle on the sender child process. */
export class RtpSender {
  private nextId = 1;
  private readonly pending = new Map<number, (v: unknown) => void>();
  private failure: Error | null = null;

  private constructor(readonly child: ChildProcess) {
    child.on('message', (m: FromSender) => {
      if (m.type === 'reply') {
        this.pending.get(m.id)?.(m.value);
        this.pending.delete(m.id);
      } else this.failure = new Error(`RTP sender: ${m.message}`);
    });
    child.on('exit', (code, signal) => {
      this.failure ??= new Error(`RTP sender exited (${code ?? signal})`);
    });
  }

  /** Whether the sender runs at a raised priority (nice SENDER_NICE). */
  prioritised = false;

  static start(): RtpSender {
    const child = fork(new URL(import.meta.url).pathname, ['--loadgen-rtp-sender'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const sender = new RtpSender(child);
    // An SBC has its own CPUs: ahead of everything else here, the sender's timing stays an SBC's
    // and the recorder's CPU, not ours, decides when packets are handled late. Needs root or CAP_SYS_NICE.
    try {
      setPriority(child.pid!, SENDER_NICE);
      sender.prioritised = true;
    } catch {
      // left at the default priority; the lateness figures say whether that mattered
    }
    return sender;
  }

  get pid(): number {
    return this.child.pid!;
  }

  private ask<T>(msg: { type: 'prepare' | 'stop' | 'stats' } & Record<string, unknown>): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(this.failure ?? new Error(`RTP sender did not answer ${msg.type}`)), 120_000);
      this.pending.set(id, (v) => {
        clearTimeout(timer);
        resolve(v as T);
      });
      this.child.send({ ...msg, id });
    });
  }

  /** Encodes the payloads the run needs (G.722 through ffmpeg, Opus through libopus) before any call. */
  prepare(tones: Array<[LoadCodec, number]>, impair: Impairment): Promise<void> {
    if (impair.jitterMs > MAX_JITTER_MS) throw new Error(`jitter must be at most ${MAX_JITTER_MS} ms (got ${impair.jitterMs})`);
    return this.ask({ type: 'prepare', tones, impair });
  }

  start(streams: StreamSpec[]): void {
    if (this.failure) throw this.failure;
    this.child.send({ type: 'start', streams } satisfies ToSender);
  }

  stop(keys: number[]): Promise<StreamReport[]> {
    return this.ask({ type: 'stop', keys });
  }

  /** Lateness and packet counts since the previous call (the histogram is then reset). */
  stats(): Promise<SenderStats> {
    return this.ask({ type: 'stats' });
  }

  close(): void {
    if (this.child.connected) this.child.disconnect();
    setTimeout(() => this.child.kill('SIGKILL'), 2000).unref();
  }
}
