// The load generator's RTP sender alone: how much CPU it needs for N real-time G.711 streams and
// how late its packets go out, against a sink process that receives them (pinned to CPU 0, the
// sender to CPU 1, as in `capacity --pin`). Shows whether the load generator can drive a load
// without being the bottleneck, apart from any recorder.
//
//   node dist/bench/loadgen-sender.js [--streams 2000] [--seconds 10]
import { fork } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { parseArgs } from 'node:util';
import { UsageError, num } from './loadgen/options.js';
import { RtpSender, SENDER_NICE } from './loadgen/rtp-sender.js';
import { pinToCpu } from './loadgen/target.js';

const SINK_PORT = 20000;

async function sink(streams: number): Promise<void> {
  const sockets: Socket[] = [];
  let packets = 0;
  for (let i = 0; i < streams; i++) {
    const s = createSocket({ type: 'udp4', recvBufferSize: 1 << 20 });
    s.on('message', () => packets++);
    await new Promise<void>((r) => s.bind(SINK_PORT + i, '127.0.0.1', () => r()));
    sockets.push(s);
  }
  process.send!({ ready: true });
  process.on('message', () => process.send!({ packets }));
  process.on('disconnect', () => process.exit(0));
}

async function main(): Promise<number> {
  const raw = parseArgs({ options: { streams: { type: 'string', default: '2000' }, seconds: { type: 'string', default: '10' } }, strict: true }).values;
  let streams: number, seconds: number;
  try {
    streams = num(raw, 'streams', { min: 1, max: 12000, integer: true });
    seconds = num(raw, 'seconds', { min: 2 });
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`loadgen-sender: ${err.message}`);
      return 2;
    }
    throw err;
  }
  const child = fork(new URL(import.meta.url).pathname, ['--sink', String(streams)], { stdio: 'inherit' });
  const sender = RtpSender.start();
  try {
    await new Promise((r) => child.once('message', r));
    const pinned = pinToCpu(child.pid!, 0) && pinToCpu(sender.pid, 1) && pinToCpu(process.pid, 1);
    await sender.prepare([['PCMU', 1000]], { lossPct: 0, jitterMs: 0, reorderPct: 0 });
    // Started as calls would be: 100 streams every 20 ms, spread over the packet period.
    for (let i = 0; i < streams; i += 100) {
      sender.start(Array.from({ length: Math.min(100, streams - i) }, (_, k) => ({ key: i + k, host: '127.0.0.1', port: SINK_PORT + i + k, codec: 'PCMU' as const, freq: 1000, offsetMs: (i + k) % 20 })));
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 2000));
    await sender.stats();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const st = await sender.stats();
    const sec = (performance.now() - t0) / 1000;
    const cpuPct = (100 * st.cpuSec) / sec;
    console.log(
      `${streams} streams (${streams / 2} calls), ${Math.round(st.packets / sec)} packets/s: sender ${cpuPct.toFixed(1)}% of a core ` +
        `(${((1000 * cpuPct) / streams).toFixed(1)}% per 1,000 streams), lateness p50 ${st.latenessMs.p50} ms, p99 ${st.latenessMs.p99} ms, max ${st.latenessMs.max} ms; ` +
        `${pinned ? 'sink on CPU 0, sender on CPU 1' : 'not pinned'}; sender at ${sender.prioritised ? `nice ${SENDER_NICE}` : 'default priority'}`,
    );
    console.log(JSON.stringify({ bench: 'loadgen-sender', streams, seconds: Math.round(sec * 10) / 10, packetsPerSec: Math.round(st.packets / sec), cpuPct: Math.round(cpuPct * 10) / 10, latenessMs: st.latenessMs, pinned }));
    return 0;
  } finally {
    sender.close();
    child.disconnect();
  }
}

if (process.argv[2] === '--sink') await sink(Number(process.argv[3]));
else process.exitCode = await main();
