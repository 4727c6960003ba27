// One load run: N concurrent SIPREC calls set up at a rate, every call held so that all N are up
// together for `holdSec`, torn down at the same rate, then every recording verified through the
// portal API. Resource use (recorder, its event loop, portal, rtpengine, the load generator
// itself, the machine) is measured over the plateau, when all N calls are up.
import { rand } from '../../test/support/sip-client.js';
import { multipart, rfcMetadata } from '../../test/support/siprec-call.js';
import { machineCpuSec, processCpuSec, processPeakRssMiB, udpDropCounters } from '../proc-stats.js';
import { processRssMiB, threadCpuSec } from './proc-extra.js';
import { codecSdp, type LoadCodec } from './payloads.js';
import { percentile, round } from './percentile.js';
import { RtpSender, type Impairment, type SenderStats, type StreamReport } from './rtp-sender.js';
import { SipUac } from './sip-uac.js';
import type { Target } from './target.js';
import { tonePair } from './tone-plan.js';
import { checkInteraction, checkTones, type ApiInteraction, type CallExpectation, type StreamShortfall } from './verify.js';

export interface LoadPlan {
  calls: number;
  /** Call set-ups (and tear-downs) per second. */
  rate: number;
  /** Seconds all calls are up together. */
  holdSec: number;
  transport: 'udp' | 'tcp';
  g711: 'PCMU' | 'PCMA';
  /** Shares (0..1) of calls whose two legs are G.722 or Opus instead of G.711. */
  g722Share: number;
  opusShare: number;
  impair: Impairment;
  /** Calls whose BYE-to-available time is measured (polled every 100 ms); spread over the run. */
  latencySample: number;
  /** Fetch audio windows and check tones (the catalog checks are always made). */
  checkAudio: boolean;
  /** Give up waiting for recordings to become available after this long. */
  availableTimeoutSec: number;
  /** The recorder runs alone on one pinned core (see target.ts pinProcesses). */
  pinned?: boolean;
}

export interface Usage {
  /** CPU in % of one core over the plateau (null: not measurable, e.g. an external appliance). */
  recorderCpuPct: number | null;
  /** The recorder's main thread (its event loop: SIP, RTP, mixing) in % of one core. */
  recorderLoopCpuPct: number | null;
  portalCpuPct: number | null;
  rtpengineCpuPct: number | null;
  senderCpuPct: number;
  /** This process: SIP, scheduling, measuring. */
  controllerCpuPct: number;
  machineBusyPct: number;
  /** Machine CPU not taken by the processes above, % of one core: other work disturbing the run. */
  othersCpuPct: number;
  cores: number;
  recorderRssMiB: number | null;
  recorderPeakRssMiB: number | null;
  kernelUdpDrops: number;
  plateauSec: number;
  sender: SenderStats | null;
}

export interface LoadResult {
  plan: LoadPlan;
  relay: string;
  callsPlaced: number;
  callsAnswered: number;
  callsVerified: number;
  callsFailed: number;
  /** Calls per failure cause (a call can have several). */
  failures: Record<string, number>;
  /** First few failed calls, for the log. */
  failureExamples: Array<{ callId: string; causes: string[]; details: string[] }>;
  shortfall: StreamShortfall;
  inducedDrops: number;
  /** Streams whose first packet we sent more than LATE_START_MS late (the recorder anchors on it). */
  senderLateStarts: number;
  inviteTo200Ms: { p50: number | null; p95: number | null; max: number | null };
  byeToAvailableMs: { p50: number | null; p95: number | null; max: number | null; samples: number };
  audioSec: number;
  mp3Done: number;
  usage: Usage;
  wallSec: number;
}

interface Call {
  index: number;
  callId: string;
  fromTag: string;
  toTag: string;
  codec: LoadCodec;
  caller: number;
  callee: number;
  plannedStart: number;
  inviteAt: number;
  answeredAt: number;
  byeAt: number;
  causes: string[];
  details: string[];
  legs: StreamReport[];
  sampled: boolean;
  availableMs: number | null;
}

/** The recorder leaves an anchor this far off alone (its playout clock's dead band). */
export const LATE_START_MS = 20;

const sleepUntil = (t: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, t - Date.now())));

function offerSdp(codec: LoadCodec, version: string): string {
  const { pt, rtpmap, clock } = codecSdp(codec);
  const out = ['v=0', `o=LOADGEN ${version} 1 IN IP4 127.0.0.1`, 's=SIPREC', 'c=IN IP4 127.0.0.1', 't=0 0'];
  for (let i = 0; i < 2; i++) {
    out.push(`m=audio ${20000 + 2 * i} RTP/AVP ${pt} 101`, `a=rtpmap:${pt} ${rtpmap}`, `a=rtpmap:101 telephone-event/${clock}`, 'a=fmtp:101 0-15', `a=label:${i + 1}`, 'a=sendonly');
  }
  return out.join('\r\n') + '\r\n';
}

/** Which codec call i uses: the wideband and Opus shares spread evenly over the call indices. */
export function codecOf(i: number, plan: Pick<LoadPlan, 'g711' | 'g722Share' | 'opusShare'>): LoadCodec {
  const slot = (i * 0.6180339887) % 1; // golden-ratio sequence: any share is spread evenly
  if (slot < plan.g722Share) return 'G722';
  if (slot < plan.g722Share + plan.opusShare) return 'OPUS';
  return plan.g711;
}

interface Snapshot {
  at: number;
  recorder: number | null;
  loop: number | null;
  portal: number | null;
  rtpengine: number | null;
  sender: number | null;
  self: NodeJS.CpuUsage;
  machine: { busy: number; total: number };
  drops: number;
}

function snapshot(t: Target, sender: RtpSender): Snapshot {
  return {
    at: performance.now(),
    recorder: t.recorderPid ? (processCpuSec(t.recorderPid)?.total ?? null) : null,
    loop: t.recorderPid ? threadCpuSec(t.recorderPid) : null,
    portal: t.portalPid ? (processCpuSec(t.portalPid)?.total ?? null) : null,
    rtpengine: t.rtpenginePid ? (processCpuSec(t.rtpenginePid)?.total ?? null) : null,
    sender: processCpuSec(sender.pid)?.total ?? null,
    self: process.cpuUsage(),
    machine: machineCpuSec(),
    drops: udpDropCounters().rcvbufErrors,
  };
}

function usageBetween(a: Snapshot, b: Snapshot, t: Target, senderStats: SenderStats | null): Usage {
  const sec = (b.at - a.at) / 1000;
  const pct = (x: number | null, y: number | null) => (x === null || y === null ? null : round((100 * (y - x)) / sec, 1));
  const self = process.cpuUsage(a.self);
  const machineTotal = b.machine.total - a.machine.total;
  const cores = Math.round(machineTotal / sec);
  const machineBusyPct = round((100 * (b.machine.busy - a.machine.busy)) / Math.max(1e-9, machineTotal), 1)!;
  const ours = [pct(a.recorder, b.recorder), pct(a.portal, b.portal), pct(a.rtpengine, b.rtpengine), pct(a.sender, b.sender)].reduce<number>((sum, x) => sum + (x ?? 0), 0) + (100 * (self.user + self.system)) / 1e6 / sec;
  return {
    recorderCpuPct: pct(a.recorder, b.recorder),
    recorderLoopCpuPct: pct(a.loop, b.loop),
    portalCpuPct: pct(a.portal, b.portal),
    rtpengineCpuPct: pct(a.rtpengine, b.rtpengine),
    senderCpuPct: pct(a.sender, b.sender) ?? 0,
    controllerCpuPct: round((100 * (self.user + self.system)) / 1e6 / sec, 1)!,
    machineBusyPct,
    othersCpuPct: Math.max(0, round(machineBusyPct * cores - ours, 1)!),
    cores,
    recorderRssMiB: t.recorderPid ? round(processRssMiB(t.recorderPid), 0) : null,
    recorderPeakRssMiB: t.recorderPid ? round(processPeakRssMiB(t.recorderPid), 0) : null,
    kernelUdpDrops: b.drops - a.drops,
    plateauSec: round(sec, 1)!,
    sender: senderStats,
  };
}

/** Pages through interactions that started since `since`, by Call-ID. */
export async function listSince(portal: Target['portal'], since: Date): Promise<Map<string, ApiInteraction>> {
  const out = new Map<string, ApiInteraction>();
  let cursor: string | null = null;
  do {
    const page: { items: ApiInteraction[]; nextCursor: string | null } = await portal.json(
      `/api/v1/interactions?from=${encodeURIComponent(since.toISOString())}&limit=200${cursor ? `&cursor=${cursor}` : ''}`,
    );
    for (const it of page.items) out.set(it.callId, it);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

async function pool<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

export interface RunHooks {
  log?: (line: string) => void;
}

export async function runLoad(target: Target, sender: RtpSender, plan: LoadPlan, hooks: RunHooks = {}): Promise<LoadResult> {
  const log = hooks.log ?? (() => undefined);
  const started = Date.now();
  const since = new Date(started - 1000);
  const calls: Call[] = Array.from({ length: plan.calls }, (_, index) => {
    const { caller, callee } = tonePair(index);
    return {
      index, callId: `${rand()}@loadgen`, fromTag: rand(4), toTag: '', codec: codecOf(index, plan), caller, callee,
      plannedStart: 0, inviteAt: 0, answeredAt: 0, byeAt: 0, causes: [], details: [], legs: [], sampled: false, availableMs: null,
    };
  });
  const every = Math.max(1, Math.floor(plan.calls / Math.max(1, plan.latencySample)));
  for (const c of calls) c.sampled = plan.latencySample > 0 && c.index % every === 0;
  const tones = new Map<string, [LoadCodec, number]>();
  for (const c of calls) for (const f of [c.caller, c.callee]) tones.set(`${c.codec}/${f}`, [c.codec, f]);
  await sender.prepare([...tones.values()], plan.impair);

  const uac = await SipUac.open({ transport: plan.transport, host: target.sipHost, port: target.sipPort });
  const rampMs = (1000 * plan.calls) / plan.rate;
  const callMs = rampMs + plan.holdSec * 1000;
  const t0 = Date.now() + 200;
  const latencyPolls: Array<Promise<void>> = [];

  const pollAvailable = async (c: Call) => {
    const until = c.byeAt + plan.availableTimeoutSec * 1000;
    while (Date.now() < until) {
      const page = await target.portal.json<{ items: ApiInteraction[] }>(`/api/v1/interactions?callId=${encodeURIComponent(c.callId)}`).catch(() => null);
      const st = page?.items[0]?.status;
      if (st === 'available') {
        c.availableMs = Date.now() - c.byeAt;
        return;
      }
      if (st === 'failed' || st === 'deleted') return;
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  const runCall = async (c: Call) => {
    c.plannedStart = t0 + (c.index * 1000) / plan.rate;
    await sleepUntil(c.plannedStart);
    const boundary = `lg${rand(4)}`;
    const caller = { aor: `sip:+1555${String(c.index).padStart(6, '0')}@loadgen.test`, name: `Caller ${c.index}`, freq: c.caller };
    const callee = { aor: `sip:+1666${String(c.index).padStart(6, '0')}@loadgen.test`, name: `Callee ${c.index}`, freq: c.callee };
    c.inviteAt = Date.now();
    let res;
    try {
      res = await uac.invite(c.callId, c.fromTag, `multipart/mixed;boundary=${boundary}`, multipart(boundary, offerSdp(c.codec, String(c.index)), rfcMetadata(caller, callee, '1', '2')));
    } catch {
      c.causes.push('invite-timeout');
      return;
    }
    if (res.status !== 200) {
      c.causes.push(`invite-${res.status}`);
      return;
    }
    c.answeredAt = Date.now();
    c.toTag = res.toTag;
    const ports = [...res.body.matchAll(/^m=audio (\d+)/gm)].map((m) => Number(m[1]));
    if (ports.length < 2 || ports.some((p) => p === 0)) c.causes.push('stream-declined');
    const specs = [0, 1]
      .filter((i) => (ports[i] ?? 0) > 0)
      .map((i) => ({ key: 2 * c.index + i, host: target.sipHost, port: ports[i]!, codec: c.codec, freq: i === 0 ? c.caller : c.callee, offsetMs: 10 * i }));
    sender.start(specs);
    await sleepUntil(c.plannedStart + callMs);
    c.legs = await sender.stop(specs.map((s) => s.key));
    // The media ends a moment before the BYE, as from an SBC: the last packets are not racing it.
    await new Promise((r) => setTimeout(r, 100));
    if (uac.recorderByes.has(c.callId)) {
      c.causes.push('recorder-bye');
      c.byeAt = Date.now();
      return;
    }
    try {
      const bye = await uac.bye(c.callId, c.fromTag, c.toTag);
      c.byeAt = Date.now();
      if (bye.status !== 200) c.causes.push(`bye-${bye.status}`);
    } catch {
      c.causes.push('bye-timeout');
      c.byeAt = Date.now();
    }
    if (c.sampled) latencyPolls.push(pollAvailable(c));
  };

  // The plateau: from 2 s after the last planned set-up to 0.5 s before the first planned BYE.
  let usage: Usage | null = null;
  const measure = (async () => {
    await sleepUntil(t0 + rampMs + 2000);
    const a = snapshot(target, sender);
    await sender.stats().catch(() => null);
    await sleepUntil(t0 + callMs - 500);
    const b = snapshot(target, sender);
    const senderStats = await sender.stats().catch(() => null);
    usage = usageBetween(a, b, target, senderStats);
    log(
      `  plateau ${usage.plateauSec} s with ${plan.calls} calls up: recorder ${usage.recorderCpuPct ?? '-'}% (event loop ${usage.recorderLoopCpuPct ?? '-'}%), ` +
        `rtpengine ${usage.rtpengineCpuPct ?? '-'}%, portal ${usage.portalCpuPct ?? '-'}%, sender ${usage.senderCpuPct}%, controller ${usage.controllerCpuPct}%, ` +
        `machine ${usage.machineBusyPct}% of ${usage.cores} cores; recorder RSS ${usage.recorderRssMiB ?? '-'} MiB; sender lateness p99 ${senderStats?.latenessMs.p99 ?? '-'} ms max ${senderStats?.latenessMs.max ?? '-'} ms`,
    );
  })();

  log(`  ${plan.calls} calls at ${plan.rate}/s over ${plan.transport.toUpperCase()}, all up for ${plan.holdSec} s (each call ${round(callMs / 1000, 1)} s)`);
  await Promise.all([...calls.map(runCall), measure]);
  uac.close();
  log(`  all calls ended after ${round((Date.now() - started) / 1000, 1)} s; waiting for recordings`);
  await Promise.all(latencyPolls);

  // Every recording: wait until none is still recording or pending, then check each.
  const placed = calls.filter((c) => c.answeredAt > 0 && !c.causes.includes('recorder-bye'));
  let found = new Map<string, ApiInteraction>();
  const until = Date.now() + plan.availableTimeoutSec * 1000;
  for (;;) {
    found = await listSince(target.portal, since);
    const waiting = placed.filter((c) => {
      const st = found.get(c.callId)?.status;
      return st === undefined || st === 'recording' || st === 'pending';
    });
    if (waiting.length === 0 || Date.now() > until) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const shortfall: StreamShortfall = { notReceived: 0, lost: 0, late: 0, concealedMs: 0 };
  let inducedDrops = 0;
  let audioSec = 0;
  let mp3Done = 0;
  let verified = 0;
  await pool(placed, 8, async (c) => {
    const it = found.get(c.callId);
    if (!it) {
      c.causes.push('missing');
      return;
    }
    const byKey = new Map(c.legs.map((l) => [l.key, l]));
    const leg = (i: number) => {
      const r = byKey.get(2 * c.index + i);
      return { label: String(i + 1), channel: i, freq: i === 0 ? c.caller : c.callee, sent: r?.sent ?? 0, dropped: r?.dropped ?? 0, reordered: r?.reordered ?? 0, firstLateMs: r?.firstLateMs ?? 0 };
    };
    const exp: CallExpectation = { callId: c.callId, legs: [leg(0), leg(1)], callSec: (c.byeAt - c.answeredAt) / 1000, impaired: plan.impair.jitterMs > 0 || plan.impair.reorderPct > 0 };
    inducedDrops += exp.legs[0].dropped + exp.legs[1].dropped;
    const v = checkInteraction(it, exp);
    c.causes.push(...v.causes);
    shortfall.notReceived += v.shortfall.notReceived;
    shortfall.lost += v.shortfall.lost;
    shortfall.late += v.shortfall.late;
    shortfall.concealedMs += v.shortfall.concealedMs;
    audioSec += v.durationSec ?? 0;
    if (v.hasMp3) mp3Done++;
    if (plan.checkAudio && it.status === 'available' && it.files.some((f) => f.format === 'wav')) {
      try {
        const tones = await checkTones(target.portal, it, exp);
        c.causes.push(...tones.causes);
        c.details.push(...tones.details);
      } catch (err) {
        c.causes.push('media-fetch');
        log(`  media fetch for ${c.callId}: ${(err as Error).message}`);
      }
    }
    if (c.causes.length === 0) verified++;
  });

  const failures: Record<string, number> = {};
  for (const c of calls) for (const cause of new Set(c.causes)) failures[cause] = (failures[cause] ?? 0) + 1;
  const failed = calls.filter((c) => c.causes.length > 0);
  const setup = calls.filter((c) => c.answeredAt > 0).map((c) => c.answeredAt - c.inviteAt);
  const lat = calls.filter((c) => c.availableMs !== null).map((c) => c.availableMs!);
  return {
    plan,
    relay: target.relay,
    callsPlaced: calls.length,
    callsAnswered: calls.filter((c) => c.answeredAt > 0).length,
    callsVerified: verified,
    callsFailed: failed.length,
    failures,
    failureExamples: failed.slice(0, 5).map((c) => ({ callId: c.callId, causes: c.causes, details: c.details })),
    shortfall,
    inducedDrops,
    senderLateStarts: calls.reduce((n, c) => n + c.legs.filter((l) => l.firstLateMs > LATE_START_MS).length, 0),
    inviteTo200Ms: { p50: percentile(setup, 50), p95: percentile(setup, 95), max: setup.length ? Math.max(...setup) : null },
    byeToAvailableMs: { p50: percentile(lat, 50), p95: percentile(lat, 95), max: lat.length ? Math.max(...lat) : null, samples: lat.length },
    audioSec: round(audioSec, 1)!,
    mp3Done,
    usage: usage ?? usageBetween(snapshot(target, sender), snapshot(target, sender), target, null),
    wallSec: round((Date.now() - started) / 1000, 1)!,
  };
}
