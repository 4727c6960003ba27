// The capacity result as JSON and as a markdown summary.
import type { LoadResult } from '../loadgen/run.js';
import type { Mp3Sample } from './mp3-sample.js';

export interface StepRecord {
  kind: 'ramp' | 'refine' | 'hold';
  calls: number;
  holdSec: number;
  held: boolean;
  reasons: string[];
  limit: string | null;
  result: LoadResult;
}

export interface CapacityReport {
  bench: 'capacity';
  date: string;
  relay: string;
  transport: string;
  /** Recorder alone on CPU 0 (--pin); appliance processes at nice -10 (--priority). */
  pinned: boolean;
  priority: boolean;
  codecs: { g711: string; g722Pct: number; opusPct: number };
  rate: number;
  stepSec: number;
  holdSec: number;
  /** Highest concurrency held for `heldFor` seconds with zero recorder-side loss (0: none). */
  heldCalls: number;
  heldFor: number;
  /** Recorder CPU (all threads) per call, % of one core, at the held level. */
  recorderCpuPerCallPct: number | null;
  rtpengineCpuPerCallPct: number | null;
  recorderRssMiB: number | null;
  recorderPeakRssMiB: number | null;
  byeToAvailableMs: LoadResult['byeToAvailableMs'] | null;
  /** MP3 encoding of the run's longest recordings, after the hold (null: not measured). */
  mp3: Mp3Sample | null;
  firstFailure: { calls: number; limit: string } | null;
  rampStoppedBy: string | null;
  aim: { calls: number; rssMiB: number; byeToAvailableP95Ms: number; met: boolean };
  wallSec: number;
  steps: StepRecord[];
}

const v = (x: number | null | undefined, unit = '') => (x === null || x === undefined ? '-' : `${x}${unit}`);

export function capacityMarkdown(r: CapacityReport): string {
  const held = r.steps.find((s) => s.kind === 'hold' && s.held) ?? null;
  const lines: string[] = [];
  lines.push(`## Capacity (${r.relay}, ${r.transport.toUpperCase()}, ${r.codecs.g711}${r.codecs.g722Pct ? ` + ${r.codecs.g722Pct}% G.722` : ''}${r.codecs.opusPct ? ` + ${r.codecs.opusPct}% Opus` : ''}${r.pinned ? ', pinned' : ''}${r.priority ? ', appliance at nice -10' : ''}), ${r.date}`);
  lines.push('');
  if (held) {
    const u = held.result.usage;
    lines.push(`**${r.heldCalls} concurrent stereo calls held for ${r.heldFor} s with zero recorder-side loss** (every packet received, none lost, late or concealed; every recording verified).`);
    lines.push('');
    lines.push('| figure | value |');
    lines.push('|---|---|');
    lines.push(`| recorder CPU at that load | ${v(u.recorderCpuPct, ' %')} of one core (event loop ${v(u.recorderLoopCpuPct, ' %')}); ${v(r.recorderCpuPerCallPct, ' %')} per call |`);
    if (u.rtpengineCpuPct !== null) lines.push(`| rtpengine CPU | ${u.rtpengineCpuPct} % of one core; ${v(r.rtpengineCpuPerCallPct, ' %')} per call |`);
    lines.push(`| recorder RSS | ${v(r.recorderRssMiB, ' MiB')} (peak ${v(r.recorderPeakRssMiB, ' MiB')}) |`);
    lines.push(`| BYE -> available | p50 ${v(r.byeToAvailableMs?.p50, ' ms')}, p95 ${v(r.byeToAvailableMs?.p95, ' ms')} (${r.byeToAvailableMs?.samples ?? 0} calls, 100 ms polling) |`);
    lines.push(
      `| MP3 encoding | ${r.mp3 ? `${r.mp3.audioSecPerCpuSec} s of audio per ffmpeg CPU second (${r.mp3.ffmpeg} ffmpeg; ${r.mp3.files} of the run's recordings, ${Math.round(r.mp3.audioSec / r.mp3.files)} s each); ${r.mp3.audioSecPerWallSec} s per wall second with ${r.mp3.workers} workers` : '-'} |`,
    );
    lines.push(`| machine | ${u.machineBusyPct} % busy of ${u.cores} cores; load generator ${Math.round((u.senderCpuPct + u.controllerCpuPct) * 10) / 10} % of a core (sender lateness p99 ${v(u.sender?.latenessMs.p99, ' ms')}) |`);
  } else {
    lines.push('**No level was held for the full hold time.**');
  }
  lines.push('');
  const aimText = `aim: >= ${r.aim.calls} calls, RSS < ${r.aim.rssMiB} MiB, BYE -> available p95 < ${r.aim.byeToAvailableP95Ms} ms`;
  lines.push(`${aimText}: **${r.aim.met ? 'met' : 'not met'}**.`);
  if (r.firstFailure) lines.push(`The ramp failed first at ${r.firstFailure.calls} calls; what ran out first: ${r.firstFailure.limit}.`);
  if (r.rampStoppedBy) lines.push(`The ramp stopped early: ${r.rampStoppedBy}.`);
  const failedHold = r.steps.find((s) => s.kind === 'hold' && !s.held);
  if (failedHold) lines.push(`The ${failedHold.holdSec} s hold at ${failedHold.calls} calls failed: ${failedHold.reasons.join('; ')}; ran out first: ${failedHold.limit}.`);
  lines.push('');
  lines.push('| step | calls | all up | result | recorder CPU | event loop | rtpengine | RSS MiB | BYE->avail p50/p95 ms | load gen CPU | machine | shortfall (not rcvd/lost/late/conc. ms) | failures |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const s of r.steps) {
    const u = s.result.usage;
    const sf = s.result.shortfall;
    const fails = Object.entries(s.result.failures).map(([k, n]) => `${k} ${n}`).join(', ') || '-';
    lines.push(
      `| ${s.kind} | ${s.calls} | ${s.holdSec} s | ${s.held ? 'held' : 'failed'} | ${v(u.recorderCpuPct, ' %')} | ${v(u.recorderLoopCpuPct, ' %')} | ${v(u.rtpengineCpuPct, ' %')} | ${v(u.recorderRssMiB)} | ` +
        `${v(s.result.byeToAvailableMs.p50)}/${v(s.result.byeToAvailableMs.p95)} | ${Math.round((u.senderCpuPct + u.controllerCpuPct) * 10) / 10} % | ${u.machineBusyPct} % | ${sf.notReceived}/${sf.lost}/${sf.late}/${sf.concealedMs} | ${fails} |`,
    );
  }
  lines.push('');
  lines.push(`CPU figures are % of one core over the time all calls were up; the machine has ${r.steps[0]?.result.usage.cores ?? '?'} cores. Wall time ${r.wallSec} s.`);
  return lines.join('\n') + '\n';
}
