// Whether a capacity step held, and if not, what ran out first. Pure: tested in
// test/unit/loadgen-verification.test.ts.
import type { LoadResult } from '../loadgen/run.js';
import { OTHERS_DISTURB_PCT } from '../loadgen/describe.js';

/** The recorder's event loop (SIP, RTP, mixing) is one thread: past this share of a core it is saturated. */
export const LOOP_SATURATED_PCT = 90;
/** Machine-wide busy share (all cores) counted as saturation. */
export const MACHINE_SATURATED_PCT = 95;
/** rtpengine in userspace: past this share of one core per its busiest thread we call it saturated (its threads sum). */
export const RTPENGINE_SATURATED_PCT = 90;
/** The sender's p99 lateness above which its timing, not the recorder's, may explain a failure. */
export const SENDER_LATE_P99_MS = 5;
export const RSS_LIMIT_MIB = 1024;

export interface StepVerdict {
  held: boolean;
  /** Why not (empty when held). */
  reasons: string[];
  /** The resource that ran out first, in words, or null when the step held. */
  limit: string | null;
}

export function judgeStep(r: LoadResult): StepVerdict {
  const u = r.usage;
  const reasons: string[] = [];
  const s = r.shortfall;
  if (s.notReceived || s.lost || s.late || s.concealedMs) {
    reasons.push(`recorder-side loss: ${s.notReceived} packets not received, ${s.lost} lost, ${s.late} late, ${s.concealedMs} ms concealed`);
  }
  const other = Object.entries(r.failures).filter(([k]) => !/^(packets-not-received|recorder-(lost|late|concealed))$/.test(k));
  if (other.length) reasons.push(`failed verification: ${other.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  const loopPct = u.recorderLoopCpuPct;
  if (loopPct !== null && loopPct >= LOOP_SATURATED_PCT) reasons.push(`recorder event loop saturated (${loopPct}% of a core)`);
  if (r.plan.pinned && u.recorderCpuPct !== null && u.recorderCpuPct >= MACHINE_SATURATED_PCT) reasons.push(`recorder's core saturated (${u.recorderCpuPct}% of its pinned core)`);
  // A machine kept busy by other work says nothing about the recorder when the calls came through clean.
  if (u.machineBusyPct >= MACHINE_SATURATED_PCT && u.othersCpuPct < OTHERS_DISTURB_PCT) reasons.push(`machine CPU saturated (${u.machineBusyPct}% of ${u.cores} cores)`);
  const senderLate = u.sender?.latenessMs.p99 ?? null;
  if (senderLate !== null && senderLate > SENDER_LATE_P99_MS) reasons.push(`load generator fell behind (sender lateness p99 ${senderLate} ms)`);
  if (u.recorderRssMiB !== null && u.recorderRssMiB > RSS_LIMIT_MIB) reasons.push(`recorder RSS ${u.recorderRssMiB} MiB over ${RSS_LIMIT_MIB} MiB`);
  return { held: reasons.length === 0, reasons, limit: reasons.length ? limitingResource(r) : null };
}

/**
 * The first resource to run out, from the measurements of a step that did not hold. Ordered by
 * how directly each explains the symptom: a failed set-up names its cause; a saturated event
 * loop or machine explains late packets; kernel drops point at socket buffers; what remains is
 * recorder timing with CPU to spare.
 */
export function limitingResource(r: LoadResult): string {
  const u = r.usage;
  const setupFail = Object.entries(r.failures).filter(([k]) => k.startsWith('invite-'));
  if (setupFail.length) return `call set-up (${setupFail.map(([k, v]) => `${k} ${v}`).join(', ')}): sessions, ports or the SIP path`;
  if (u.recorderLoopCpuPct !== null && u.recorderLoopCpuPct >= LOOP_SATURATED_PCT) return `recorder CPU: its event loop used ${u.recorderLoopCpuPct}% of one core`;
  if (r.plan.pinned && u.recorderCpuPct !== null && u.recorderCpuPct >= MACHINE_SATURATED_PCT) return `recorder CPU: ${u.recorderCpuPct}% of its pinned core (event loop ${u.recorderLoopCpuPct ?? '-'}%, the rest its I/O threads)`;
  if (u.rtpengineCpuPct !== null && u.rtpengineCpuPct >= RTPENGINE_SATURATED_PCT && u.machineBusyPct >= MACHINE_SATURATED_PCT) {
    return `machine CPU, taken mostly by rtpengine (${u.rtpengineCpuPct}% of a core) next to the recorder (${u.recorderCpuPct}%)`;
  }
  if (u.machineBusyPct >= MACHINE_SATURATED_PCT && u.othersCpuPct >= OTHERS_DISTURB_PCT) {
    return `machine CPU taken by other processes (${u.othersCpuPct}% of a core; the machine ${u.machineBusyPct}% busy): the run was disturbed`;
  }
  if (u.machineBusyPct >= MACHINE_SATURATED_PCT) {
    return `machine CPU: ${u.machineBusyPct}% of ${u.cores} cores busy (recorder ${u.recorderCpuPct ?? '-'}%, load generator ${round1(u.senderCpuPct + u.controllerCpuPct)}%, rtpengine ${u.rtpengineCpuPct ?? '-'}%, portal ${u.portalCpuPct ?? '-'}%, other processes ${u.othersCpuPct}%)`;
  }
  if ((u.sender?.latenessMs.p99 ?? 0) > SENDER_LATE_P99_MS) return `the load generator's sender (p99 lateness ${u.sender!.latenessMs.p99} ms) with CPU to spare: other load on the machine`;
  const stepped = Object.entries(r.failures).filter(([k]) => k.endsWith('-time-stepped'));
  if (stepped.length && stepped.length === Object.keys(r.failures).length) {
    const ours = r.senderLateStarts > 0 ? ` (${r.senderLateStarts} streams' first packet was sent over 20 ms late by the load generator)` : '';
    return `recorder timing at set-up: streams anchored late while the event loop was busy (${u.recorderLoopCpuPct ?? '-'}% of a core), then walked back a sample or two per packet by the playout clock's drift correction${ours}`;
  }
  if (u.kernelUdpDrops > 0) return `socket receive buffers: ${u.kernelUdpDrops} UDP datagrams dropped by the kernel`;
  if (u.recorderRssMiB !== null && u.recorderRssMiB > RSS_LIMIT_MIB) return `recorder memory: RSS ${u.recorderRssMiB} MiB`;
  return `recorder timing with CPU to spare (event loop ${u.recorderLoopCpuPct ?? '-'}% of a core, machine ${u.machineBusyPct}%): stalls, not throughput`;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/** Concurrency levels of a ramp: `from`, then `step` apart, up to `to`. */
export function rampLevels(from: number, step: number, to: number): number[] {
  if (!(from > 0 && step > 0 && to >= from)) throw new Error(`ramp needs 0 < from <= to and step > 0 (got ${from}, ${step}, ${to})`);
  const out: number[] = [];
  for (let n = from; n <= to; n += step) out.push(n);
  return out;
}

/** Seconds a step takes, estimated: set-up and tear-down at `rate`, the hold, verification. */
export function stepSeconds(calls: number, rate: number, holdSec: number): number {
  const ramp = calls / rate;
  const verify = 5 + calls * 0.012;
  return 2 * ramp + holdSec + verify + 3;
}
