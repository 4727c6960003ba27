// Debian's rtpengine daemon for tests: started in userspace (no kernel module) on loopback with a
// free ng port and its own RTP port range, by PID, and stopped again.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { freePort } from './appliance.js';
import { NgClient } from '../../recorder/media/rtpengine/ng-client.js';

export const RTPENGINE = process.env.SIPVAULT_TEST_RTPENGINE ?? '/usr/bin/rtpengine';

export interface RtpengineDaemon {
  ngPort: number;
  /** rtpengine's media ports: every port an SRC is told to send to lies in here. */
  portMin: number;
  portMax: number;
  process: ChildProcess;
  output: string[];
  /** An ng client for the test's own questions (query, list). */
  ng: NgClient;
  stop(): Promise<void>;
}

/**
 * Starts rtpengine; `ngPort` reuses a port (a restart), else a free one is taken. `ports` media
 * ports from `portMin` (200 by default; a call takes eight: RTP and RTCP on both sides of two streams).
 */
export async function startRtpengine(o: { ngPort?: number; portMin?: number; ports?: number } = {}): Promise<RtpengineDaemon> {
  const ngPort = o.ngPort ?? (await freePort());
  // Above the appliance's mixer ports (20000-59999 in tests), so the two never share a port.
  const portMin = o.portMin ?? 60000 + randomInt(0, 25) * 200;
  const portMax = portMin + (o.ports ?? 200) - 1;
  const args = ['--config-file=none', '--table=-1', '--interface=127.0.0.1', `--listen-ng=127.0.0.1:${ngPort}`, `--port-min=${portMin}`, `--port-max=${portMax}`, '--foreground', '--log-stderr', '--log-level=5'];
  const proc = spawn(RTPENGINE, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  proc.stdout!.on('data', (d: Buffer) => output.push(d.toString()));
  proc.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
  const spawnError = new Promise<never>((_, reject) => proc.once('error', (err) => reject(new Error(`cannot start ${RTPENGINE}: ${err.message} (Debian package rtpengine-daemon)`))));
  const ng = new NgClient({ host: '127.0.0.1', port: ngPort, timeoutMs: 300 });
  const stop = async () => {
    ng.close();
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill('SIGTERM');
    const killer = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(killer);
  };
  const ready = (async () => {
    const until = Date.now() + 10_000;
    for (;;) {
      try {
        await ng.ping();
        return;
      } catch {
        if (proc.exitCode !== null) throw new Error(`rtpengine exited (${proc.exitCode}): ${output.join('')}`);
        if (Date.now() > until) throw new Error(`rtpengine did not answer ping on ${ngPort}: ${output.join('')}`);
      }
    }
  })();
  try {
    await Promise.race([ready, spawnError]);
  } catch (err) {
    await stop();
    throw err;
  }
  return { ngPort, portMin, portMax, process: proc, output, ng, stop };
}
