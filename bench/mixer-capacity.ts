// Mixer capacity benchmark: how many concurrent stereo G.711 calls one core of the media engine
// holds without losing a packet, and what one call costs it.
//
//   node dist/bench/mixer-capacity.js [--from 100] [--step 100] [--to 1500] [--seconds 10]
//        [--work-dir DIR] [--no-pin] [--relay direct|rtpengine]
//
// With `--relay rtpengine` every call is set up through a real rtpengine daemon (started here,
// userspace forwarding, pinned with the sender to CPU 1), the sender plays the SRC towards
// rtpengine's ports and rtpengine forks plain RTP to the engine: the same zero-loss checks over
// the whole chain, plus rtpengine's own CPU per call.
//
// In-process, no SIP: this process runs a DirectMediaEngine (the recorder's own, with its spool
// WAV files) pinned to CPU 0; a child process pinned to CPU 1 plays N calls, two PCMU streams each,
// sending real-time 20 ms packets over loopback UDP (calls spread evenly over the 20 ms period, as
// independent calls are). For N = from, from+step, ... each run opens N sessions, sends for
// `seconds` after a 2 s warm-up, closes them and checks every packet: received by the engine,
// not lost (RFC 3550 counts), not late (written in time), no stream re-anchored or concealed
// because the engine handled its packets late, no timer held up longer than the jitter window
// (200 ms): the recording is exactly what was sent. The kernel's UDP receive-buffer drops are
// shown too (machine-wide: a drop on our sockets also shows as received < sent). The ramp
// stops at the first N that fails. Output: a line per N, a summary, then one JSON line.
//
// Exit status: 0 when the aim (500 calls with zero loss) was met, 1 when not, 2 on error.
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createSocket, type Socket } from 'node:dgram';
import pino from 'pino';
import { DirectMediaEngine } from '../recorder/media/direct-media-engine.js';
import { JITTER_WINDOW_MS } from '../recorder/media/rtp-stream.js';
import { tonePayload } from '../test/support/audio.js';
import { processCpuSec, udpDropCounters } from './proc-stats.js';
import { RtpengineFork } from './rtpengine-fork.js';
import { startRtpengine, type RtpengineDaemon } from '../test/support/rtpengine.js';

const AIM_CALLS = 500;
const WARMUP_S = 2;
const RTP_LOW = 10000;

interface SenderStart {
  ports: number[];
  seconds: number;
}
interface SenderDone {
  sent: number;
  behindMs: number;
}

// ---------------------------------------------------------------- sender (child process)

async function runSender(msg: SenderStart): Promise<SenderDone> {
  const sockets: Socket[] = [];
  for (let i = 0; i < 8; i++) sockets.push(createSocket('udp4'));
  const payload = tonePayload(440, 8000, 0, 160, 'PCMU');
  const streams = msg.ports.map((port, i) => {
    const pkt = Buffer.alloc(172);
    pkt[0] = 0x80;
    pkt[1] = 0;
    pkt.writeUInt32BE(0x10000 + i, 8);
    payload.copy(pkt, 12);
    return { port, pkt, seq: i * 7, ts: i * 1000, socket: sockets[i % sockets.length]! };
  });
  // Stream i sends in millisecond slot (call index * 20 / calls) of every 20 ms period.
  const calls = streams.length / 2;
  const slots: Array<typeof streams> = Array.from({ length: 20 }, () => []);
  streams.forEach((s, i) => slots[Math.floor(((i >> 1) * 20) / Math.max(1, calls))]!.push(s));
  const start = performance.now();
  const totalMs = msg.seconds * 1000;
  let sent = 0;
  let behind = 0;
  for (let ms = 0; ms < totalMs; ms++) {
    for (const s of slots[ms % 20]!) {
      s.pkt.writeUInt16BE(s.seq & 0xffff, 2);
      s.pkt.writeUInt32BE(s.ts >>> 0, 4);
      s.seq++;
      s.ts += 160;
      // dgram copies nothing: a fresh buffer per datagram keeps queued sends intact.
      s.socket.send(Buffer.from(s.pkt), s.port, '127.0.0.1');
      sent++;
    }
    const wait = start + ms + 1 - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    else behind = Math.max(behind, -wait);
  }
  await new Promise((r) => setTimeout(r, 50));
  for (const s of sockets) s.close();
  return { sent, behindMs: Math.round(behind) };
}

if (process.argv.includes('--sender')) {
  process.once('message', (msg: SenderStart) => {
    void runSender(msg).then((done) => {
      process.send!(done, () => process.exit(0));
    });
  });
} else {
  main().catch((err) => {
    console.error(`mixer-capacity: ${(err as Error).stack ?? err}`);
    process.exit(2);
  });
}

// ---------------------------------------------------------------- engine (this process)

interface StepResult {
  calls: number;
  sent: number;
  received: number;
  lost: number;
  late: number;
  /** Streams that had to be re-anchored: packets handled more than the jitter window after they arrived. */
  reanchors: number;
  concealedMs: number;
  kernelDrops: number;
  cpuPct: number;
  cpuPerCallPct: number;
  eventLoopP99Ms: number;
  eventLoopMaxMs: number;
  senderBehindMs: number;
  /** rtpengine's CPU (all its threads) in % of one core, and per call; null in direct mode. */
  rtpengineCpuPct: number | null;
  rtpengineCpuPerCallPct: number | null;
  ok: boolean;
}

interface Relay {
  daemon: RtpengineDaemon;
  fork: RtpengineFork;
}

function options() {
  const { values } = parseArgs({
    options: {
      from: { type: 'string', default: '100' },
      step: { type: 'string', default: '100' },
      to: { type: 'string', default: '1500' },
      seconds: { type: 'string', default: '10' },
      'work-dir': { type: 'string' },
      'no-pin': { type: 'boolean', default: false },
      relay: { type: 'string', default: 'direct' },
    },
    strict: true,
  });
  const n = (k: 'from' | 'step' | 'to' | 'seconds') => {
    const v = Number(values[k]);
    if (!Number.isInteger(v) || v <= 0) throw new Error(`--${k} must be a positive integer`);
    return v;
  };
  const relay = values.relay;
  if (relay !== 'direct' && relay !== 'rtpengine') throw new Error('--relay must be direct or rtpengine');
  return { from: n('from'), step: n('step'), to: n('to'), seconds: n('seconds'), workParent: values['work-dir'] ?? tmpdir(), pin: !values['no-pin'], relay };
}

function pin(pid: number, cpu: number): boolean {
  return spawnSync('taskset', ['-a', '-cp', String(cpu), String(pid)], { stdio: 'ignore' }).status === 0;
}

async function step(engine: DirectMediaEngine, calls: number, seconds: number, pinSender: boolean, relay: Relay | null): Promise<StepResult> {
  const ports: number[] = [];
  const ids: string[] = [];
  for (let c = 0; c < calls; c++) {
    const id = `bench${String(c).padStart(19, '0')}`;
    if (relay) {
      ids.push(id);
      ports.push(...(await relay.fork.open(engine, id, c)));
      continue;
    }
    const offered = [
      { payloadType: 0, encoding: 'PCMU', clockRate: 8000 },
      { payloadType: 101, encoding: 'telephone-event', clockRate: 8000 },
    ];
    const grants = await engine.open(id, [
      { label: '1', channel: 0, mixed: false, offered },
      { label: '2', channel: 1, mixed: false, offered },
    ]);
    ids.push(id);
    for (const g of grants) ports.push(g.port);
  }
  const sender: ChildProcess = fork(new URL(import.meta.url).pathname, ['--sender'], { stdio: 'inherit' });
  if (pinSender) pin(sender.pid!, 1);
  const done = new Promise<SenderDone>((resolve, reject) => {
    sender.once('message', (m) => resolve(m as SenderDone));
    sender.once('exit', (code) => (code ? reject(new Error(`sender exited ${code}`)) : undefined));
  });
  sender.send({ ports, seconds: WARMUP_S + seconds } satisfies SenderStart);
  await new Promise((r) => setTimeout(r, WARMUP_S * 1000));
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const drops0 = udpDropCounters();
  const cpu0 = process.cpuUsage();
  const relayCpu0 = relay ? processCpuSec(relay.daemon.process.pid!) : null;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const cpu = process.cpuUsage(cpu0);
  const elapsed = (performance.now() - t0) / 1000;
  const relayCpu1 = relay ? processCpuSec(relay.daemon.process.pid!) : null;
  const rtpengineCpuPct = relayCpu0 && relayCpu1 ? ((relayCpu1.total - relayCpu0.total) / elapsed) * 100 : null;
  loop.disable();
  const result = await done;
  await new Promise((r) => setTimeout(r, 400)); // the last packets through the jitter window
  const drops = udpDropCounters().rcvbufErrors - drops0.rcvbufErrors;
  let received = 0;
  let lost = 0;
  let late = 0;
  let reanchors = 0;
  let concealedMs = 0;
  for (const id of ids) {
    for (const s of (await engine.close(id))?.streams ?? []) {
      received += s.packets;
      lost += s.lost;
      late += s.late;
      reanchors += s.reanchors;
      concealedMs += s.concealedMs;
    }
    if (relay) await relay.fork.close(id);
  }
  const cpuPct = ((cpu.user + cpu.system) / 1e6 / elapsed) * 100;
  return {
    calls,
    sent: result.sent,
    received,
    lost,
    late,
    reanchors,
    concealedMs,
    kernelDrops: drops,
    cpuPct: Math.round(cpuPct * 10) / 10,
    cpuPerCallPct: Math.round((cpuPct / calls) * 1000) / 1000,
    eventLoopP99Ms: Math.round(loop.percentile(99) / 1e4) / 100,
    eventLoopMaxMs: Math.round(loop.max / 1e4) / 100,
    senderBehindMs: result.behindMs,
    rtpengineCpuPct: rtpengineCpuPct === null ? null : Math.round(rtpengineCpuPct * 10) / 10,
    rtpengineCpuPerCallPct: rtpengineCpuPct === null ? null : Math.round((rtpengineCpuPct / calls) * 1000) / 1000,
    // Kernel drops are machine-wide (any UDP socket); ours show as received < sent.
    // A recorder that falls behind shows as late packets, as streams re-anchored because their
    // packets were handled later than the jitter window, as audio concealed because its timing
    // wandered, or as flushes held up for longer than the jitter window.
    ok: received === result.sent && lost === 0 && late === 0 && reanchors === 0 && concealedMs === 0 && loop.max / 1e6 < JITTER_WINDOW_MS,
  };
}

async function main(): Promise<void> {
  const o = options();
  const work = mkdtempSync(join(o.workParent, 'sipvault-mixer-bench-'));
  const pinned = o.pin && pin(process.pid, 0);
  const engine = new DirectMediaEngine({
    portRange: [RTP_LOW, RTP_LOW + 4 * o.to + 16],
    bindAddress: '127.0.0.1',
    spoolDir: join(work, 'spool'),
    logger: pino({ level: 'warn' }),
  });
  let relay: Relay | null = null;
  if (o.relay === 'rtpengine') {
    const daemon = await startRtpengine({ portMin: 30000, ports: 8 * o.to + 64 });
    if (pinned) pin(daemon.process.pid!, 1);
    relay = { daemon, fork: new RtpengineFork(daemon.ngPort, pino({ level: 'warn' })) };
  }
  const results: StepResult[] = [];
  const cleanup = async () => {
    rmSync(work, { recursive: true, force: true });
    if (relay) {
      await relay.fork.relay.stop();
      await relay.daemon.stop();
    }
  };
  process.once('SIGINT', () => {
    rmSync(work, { recursive: true, force: true });
    relay?.daemon.process.kill('SIGKILL');
    process.exit(2);
  });
  console.log(
    `mixer-capacity: relay ${o.relay}; ${pinned ? `engine pinned to CPU 0, sender${relay ? ' and rtpengine' : ''} to CPU 1` : 'not pinned'}; spool in ${work}; ${o.seconds} s per step`,
  );
  console.log(`calls  cpu%(1 core)  cpu%/call  received/sent      lost late reanchors concealedMs kernelDrops  loop p99/max ms${relay ? '  rtpengine cpu% (per call)' : ''}`);
  try {
    for (let calls = o.from; calls <= o.to; calls += o.step) {
      const r = await step(engine, calls, o.seconds, pinned, relay);
      results.push(r);
      console.log(
        `${String(calls).padStart(5)}  ${r.cpuPct.toFixed(1).padStart(12)}  ${r.cpuPerCallPct.toFixed(3).padStart(9)}  ${`${r.received}/${r.sent}`.padStart(17)}  ${String(r.lost).padStart(4)} ${String(r.late).padStart(4)} ${String(r.reanchors).padStart(9)} ${String(r.concealedMs).padStart(11)} ${String(r.kernelDrops).padStart(11)}  ${r.eventLoopP99Ms}/${r.eventLoopMaxMs}${r.rtpengineCpuPct !== null ? `  ${r.rtpengineCpuPct} (${r.rtpengineCpuPerCallPct})` : ''}${r.senderBehindMs > 20 ? `  (sender fell ${r.senderBehindMs} ms behind)` : ''}`,
      );
      if (!r.ok) break;
    }
  } finally {
    await cleanup();
  }
  const held = results.filter((r) => r.ok).map((r) => r.calls);
  const maxCalls = held.length ? Math.max(...held) : 0;
  const last = results.filter((r) => r.ok).at(-1);
  const perCall = last ? last.cpuPerCallPct : null;
  const met = maxCalls >= AIM_CALLS;
  console.log(
    `\nheld with zero loss, nothing late, concealed or re-anchored: ${maxCalls} concurrent stereo G.711 calls on one core` +
      (perCall !== null ? `; ${perCall.toFixed(3)} % of a core per call (~${Math.floor(100 / perCall)} calls per core at 100 %)` : '') +
      `; aim ${AIM_CALLS}: ${met ? 'met' : 'not met'}`,
  );
  console.log(JSON.stringify({ bench: 'mixer-capacity', relay: o.relay, pinned, seconds: o.seconds, maxCallsZeroLoss: maxCalls, cpuPerCallPct: perCall, steps: results, aim: { calls: AIM_CALLS, met } }));
  process.exit(met ? 0 : 1);
}
