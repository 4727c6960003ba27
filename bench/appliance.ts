// The appliance under benchmark: `bin/sipvault start` on a temporary dataDir and free ports, like
// test/support/appliance.ts, with what a load run needs on top:
// - a whole `sip` and `media` section of its own (startAppliance's `extra` replaces a section
//   whole, and its `sip` carries the port startAppliance picked and probes, so `sip.maxSessions`
//   cannot be raised through it);
// - output to a file, not a pipe, so the bench process spends no CPU on the recorder's log;
// - its own process group, so a supervisor that hangs on stop is killed with its children;
// - the PIDs of the recorder and portal children, for CPU accounting.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ADMIN_PASSWORD, BIN, freePort, sipOptionsOk } from '../test/support/appliance.js';
import { recorderPidOf } from '../test/support/processes.js';

export interface BenchApplianceOptions {
  /** Directory for the dataDir and the appliance log; the caller removes it. */
  workDir: string;
  maxSessions: number;
  rtpPorts: [number, number];
  logLevel: string;
  /** Extra environment for the appliance processes (e.g. NODE_OPTIONS=--cpu-prof). */
  env?: Record<string, string>;
  /** Keys merged into the `media` section (e.g. relay: rtpengine with its ng address, mp3). */
  media?: Record<string, unknown>;
}

export interface BenchAppliance {
  dataDir: string;
  sipPort: number;
  portalUrl: string;
  logPath: string;
  process: ChildProcess;
  supervisorPid: number;
  /** PID of the `sipvault recorder` child of the supervisor. */
  recorderPid(): number | null;
  stop(): Promise<void>;
}

function tail(path: string, bytes = 4000): string {
  try {
    const text = readFileSync(path, 'utf8');
    return text.slice(-bytes);
  } catch {
    return '(no log)';
  }
}

export async function startBenchAppliance(opts: BenchApplianceOptions): Promise<BenchAppliance> {
  const dataDir = join(opts.workDir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const sipPort = await freePort();
  const portalPort = await freePort();
  const config = {
    dataDir,
    log: { level: opts.logLevel },
    sip: {
      listen: [`udp:127.0.0.1:${sipPort}`, `tcp:127.0.0.1:${sipPort}`],
      trustedSources: ['127.0.0.0/8'],
      maxSessions: opts.maxSessions,
    },
    media: { relay: 'direct', rtpPorts: `${opts.rtpPorts[0]}-${opts.rtpPorts[1]}`, ...opts.media },
    portal: { listen: `127.0.0.1:${portalPort}` },
  };
  const configPath = join(opts.workDir, 'sipvault.yaml');
  writeFileSync(configPath, stringify(config));
  const logPath = join(opts.workDir, 'appliance.log');
  const logFd = openSync(logPath, 'a');
  const proc = spawn(process.execPath, [BIN, 'start', '--config', configPath], {
    env: { ...process.env, SIPVAULT_ADMIN_PASSWORD: ADMIN_PASSWORD, ...opts.env },
    stdio: ['ignore', logFd, logFd],
    detached: true, // own process group: see stop()
  });
  closeSync(logFd);
  if (proc.pid === undefined) throw new Error('could not spawn the appliance');
  const supervisorPid = proc.pid;

  const exited = new Promise<void>((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) resolve();
    else proc.once('exit', () => resolve());
  });
  const alive = () => proc.exitCode === null && proc.signalCode === null;
  const stop = async () => {
    if (alive()) {
      proc.kill('SIGTERM');
      const killer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
    }
    // The supervisor waits for its children; if it was killed, take down what is left of its group.
    try {
      process.kill(-supervisorPid, 'SIGKILL');
    } catch {
      // group already empty
    }
  };

  const recorderPid = () => recorderPidOf(supervisorPid);

  const waitUntil = async (what: string, check: () => Promise<boolean>, timeoutMs: number) => {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if (!alive()) throw new Error(`appliance exited during start-up; log tail:\n${tail(logPath)}`);
      if (await check().catch(() => false)) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`appliance not ready (${what}) within ${timeoutMs} ms; log tail:\n${tail(logPath)}`);
  };
  try {
    await waitUntil('portal /healthz', async () => (await fetch(`http://127.0.0.1:${portalPort}/healthz`)).ok, 30_000);
    await waitUntil('SIP OPTIONS', () => sipOptionsOk(sipPort), 30_000);
    await waitUntil('recorder PID', async () => recorderPid() !== null, 5_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { dataDir, sipPort, portalUrl: `http://127.0.0.1:${portalPort}`, logPath, process: proc, supervisorPid, recorderPid, stop };
}
