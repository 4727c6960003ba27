// What the load generator drives: the real appliance started here (direct mode, or media.relay
// rtpengine with a real rtpengine daemon started here too), or one already running elsewhere.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { cpus, setPriority } from 'node:os';
import { PortalClient, ADMIN_PASSWORD } from '../../test/support/appliance.js';
import { childrenOf } from '../../test/support/processes.js';
import { startRtpengine, type RtpengineDaemon } from '../../test/support/rtpengine.js';
import { startBenchAppliance, type BenchAppliance } from '../appliance.js';

export interface Target {
  relay: 'direct' | 'rtpengine' | 'external';
  sipHost: string;
  sipPort: number;
  portal: PortalClient;
  /** PIDs for CPU accounting; null for an external appliance. */
  recorderPid: number | null;
  portalPid: number | null;
  rtpenginePid: number | null;
  supervisorPid: number | null;
  logPath: string | null;
  workDir: string | null;
  stop(): Promise<void>;
}

/** Recorder RTP ports, then rtpengine's: both below Linux's ephemeral range (32768-60999), where our sender's sockets live. */
const RECORDER_RTP_LOW = 10000;
const RTPENGINE_LOW = 17000;
const PORTS_TOP = 32766;

export interface StartTargetOptions {
  relay: 'direct' | 'rtpengine';
  /** Most calls up at once (sizes maxSessions and port ranges). */
  maxCalls: number;
  workParent: string;
  logLevel: string;
  mp3: boolean;
  keep: boolean;
}

/** Pins every thread of `pid` to `cpus` (a CPU number or a taskset list such as "0-1"). */
export function pinToCpu(pid: number, cpus: number | string): boolean {
  return spawnSync('taskset', ['-a', '-cp', String(cpus), String(pid)], { stdio: 'ignore' }).status === 0;
}

/** Every thread of `pid` at `nice` (Linux keeps a nice value per thread); false when not allowed. */
export function reniceAll(pid: number, nice: number): boolean {
  let ok = true;
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return false;
  }
  for (const tid of tids) {
    try {
      setPriority(Number(tid), nice);
    } catch {
      ok = false;
    }
  }
  return ok;
}

/**
 * The appliance's processes (recorder, portal, supervisor, rtpengine) at APPLIANCE_NICE: on a VM
 * shared with other work they then get the CPU an appliance of their own would give them, and the
 * other work only what is left. Threads started later (ffmpeg, at its own nice 10) are not touched.
 */
export function prioritiseAppliance(t: Target): boolean {
  let ok = t.recorderPid !== null;
  for (const pid of [t.recorderPid, t.portalPid, t.supervisorPid, t.rtpenginePid]) if (pid) ok = reniceAll(pid, APPLIANCE_NICE) && ok;
  return ok;
}

export const APPLIANCE_NICE = -10;

/** Lets `pid` run on every CPU again. */
export function unpin(pid: number): boolean {
  return pinToCpu(pid, `0-${cpus().length - 1}`);
}

/**
 * The recorder (all its threads, and the ffmpeg children it starts) alone on CPU 0; everything
 * else we started (load generator processes, portal, supervisor, rtpengine) on CPU 1. Then "the
 * recorder saturated its core" and "the load generator ran out of CPU" cannot be confused.
 */
export function pinProcesses(t: Target, others: number[]): boolean {
  if (!t.recorderPid) return false;
  let ok = pinToCpu(t.recorderPid, 0);
  for (const pid of [t.portalPid, t.rtpenginePid, t.supervisorPid, ...others]) if (pid) ok = pinToCpu(pid, 1) && ok;
  return ok;
}

export async function startTarget(o: StartTargetOptions): Promise<Target> {
  const recorderPorts = 4 * o.maxCalls + 64; // two streams a call, each an even port and its RTCP neighbour
  const rtpenginePorts = 8 * o.maxCalls + 64; // RTP and RTCP on both sides of two streams
  if (RECORDER_RTP_LOW + recorderPorts > RTPENGINE_LOW || (o.relay === 'rtpengine' && RTPENGINE_LOW + rtpenginePorts > PORTS_TOP)) {
    throw new Error(`${o.maxCalls} calls need more RTP ports than fit below 32768: at most ${Math.floor((RTPENGINE_LOW - RECORDER_RTP_LOW - 64) / 4)} calls (direct), ${Math.floor((PORTS_TOP - RTPENGINE_LOW - 64) / 8)} (rtpengine)`);
  }
  const workDir = mkdtempSync(join(o.workParent, 'sipvault-loadgen-'));
  let rtpengine: RtpengineDaemon | null = null;
  let app: BenchAppliance | null = null;
  const stop = async () => {
    await app?.stop().catch(() => undefined);
    await rtpengine?.stop().catch(() => undefined);
    if (!o.keep) rmSync(workDir, { recursive: true, force: true });
  };
  try {
    if (o.relay === 'rtpengine') rtpengine = await startRtpengine({ portMin: RTPENGINE_LOW, ports: rtpenginePorts });
    app = await startBenchAppliance({
      workDir,
      maxSessions: Math.max(500, 2 * o.maxCalls),
      rtpPorts: [RECORDER_RTP_LOW, RECORDER_RTP_LOW + recorderPorts - 1],
      logLevel: o.logLevel,
      media: {
        relay: o.relay,
        ...(rtpengine ? { rtpengine: { ng: `127.0.0.1:${rtpengine.ngPort}`, timeoutMs: 2000 } } : {}),
        mp3: { enabled: o.mp3 },
      },
    });
    const recorderPid = app.recorderPid();
    const portalPid = childrenOf(app.supervisorPid).find((c) => c.cmdline.includes('portal'))?.pid ?? null;
    const portal = await PortalClient.login(app.portalUrl);
    return {
      relay: o.relay,
      sipHost: '127.0.0.1',
      sipPort: app.sipPort,
      portal,
      recorderPid,
      portalPid,
      rtpenginePid: rtpengine?.process.pid ?? null,
      supervisorPid: app.supervisorPid,
      logPath: app.logPath,
      workDir,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** An appliance already running: SIP at host:port, the portal at a URL, admin's password from SIPVAULT_ADMIN_PASSWORD. */
export async function externalTarget(sip: string, portalUrl: string): Promise<Target> {
  const i = sip.lastIndexOf(':');
  const port = Number(sip.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`--sip must be host:port (got "${sip}")`);
  const portal = await PortalClient.login(portalUrl, 'admin', process.env.SIPVAULT_ADMIN_PASSWORD ?? ADMIN_PASSWORD);
  return { relay: 'external', sipHost: sip.slice(0, i), sipPort: port, portal, recorderPid: null, portalPid: null, rtpenginePid: null, supervisorPid: null, logPath: null, workDir: null, stop: async () => undefined };
}
