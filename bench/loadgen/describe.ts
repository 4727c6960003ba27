// The human-readable summary of one load run.
import type { LoadResult } from './run.js';

/** Other processes taking more than this share of a core make the figures doubtful. */
export const OTHERS_DISTURB_PCT = 20;

export function describe(r: LoadResult): string[] {
  const u = r.usage;
  const lines = [
    `${r.callsVerified} of ${r.callsPlaced} calls recorded and verified (${r.relay}, ${r.plan.transport.toUpperCase()}); ${r.callsFailed} failed` +
      (r.callsFailed ? `: ${Object.entries(r.failures).map(([k, v]) => `${k} ${v}`).join(', ')}` : ''),
    `  recorder-side shortfall: ${r.shortfall.notReceived} packets not received, ${r.shortfall.lost} lost, ${r.shortfall.late} late, ${r.shortfall.concealedMs} ms concealed` +
      (r.inducedDrops ? ` (beyond the ${r.inducedDrops} packets dropped on purpose)` : ''),
    `  INVITE->200 p50 ${r.inviteTo200Ms.p50} ms, p95 ${r.inviteTo200Ms.p95} ms; BYE->available p50 ${r.byeToAvailableMs.p50} ms, p95 ${r.byeToAvailableMs.p95} ms (${r.byeToAvailableMs.samples} calls, polled every 100 ms)`,
    `  with all ${r.plan.calls} calls up (${u.plateauSec} s): recorder ${u.recorderCpuPct ?? '-'}% of a core (event loop ${u.recorderLoopCpuPct ?? '-'}%), RSS ${u.recorderRssMiB ?? '-'} MiB; ` +
      `rtpengine ${u.rtpengineCpuPct ?? '-'}%; portal ${u.portalCpuPct ?? '-'}%; machine ${u.machineBusyPct}% busy of ${u.cores} cores (other processes ${u.othersCpuPct}% of a core${u.othersCpuPct > OTHERS_DISTURB_PCT ? ': the run was disturbed' : ''}); kernel UDP drops ${u.kernelUdpDrops}`,
    `  load generator CPU: RTP sender ${u.senderCpuPct}% of a core (${r.plan.calls ? ((u.senderCpuPct / (2 * r.plan.calls)) * 1000).toFixed(1) : '-'}% per 1,000 streams), controller ${u.controllerCpuPct}%; ` +
      `sender lateness p50 ${u.sender?.latenessMs.p50 ?? '-'} ms, p99 ${u.sender?.latenessMs.p99 ?? '-'} ms, max ${u.sender?.latenessMs.max ?? '-'} ms` +
      ((u.sender?.latenessMs.p99 ?? 0) > 5 ? '  (the sender fell behind: it was a bottleneck)' : '') +
      (r.senderLateStarts ? `; ${r.senderLateStarts} streams' first packet went out over 20 ms late` : ''),
    `  ${r.audioSec} s of audio recorded; MP3 made for ${r.mp3Done} of them by verification time`,
  ];
  for (const f of r.failureExamples) lines.push(`  e.g. ${f.callId}: ${f.causes.join(', ')}${f.details.length ? ` (${f.details.join('; ')})` : ''}`);
  return lines;
}
