// Starts the real appliance (`bin/sipvault start`) on a temporary dataDir and free ports, by PID,
// and stops it again. Tests talk to it only over SIP, RTP and HTTP, as an SBC and an admin would.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomInt } from 'node:crypto';
import { stringify } from 'yaml';
import { buildRequest, rand, SipTestClient } from './sip-client.js';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const BIN = join(REPO, 'bin/sipvault');
export const ADMIN_PASSWORD = 'test-admin-Pa55word';

/** A port free for both TCP and UDP on 127.0.0.1 (SIP listens on both). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const u = createSocket('udp4');
      u.once('error', () => resolve(false));
      u.bind(port, '127.0.0.1', () => u.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
}

export interface Appliance {
  dataDir: string;
  configPath: string;
  sipPort: number;
  portalUrl: string;
  process: ChildProcess;
  output: string[];
  stop(): Promise<void>;
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number, output: string[]): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`appliance not ready (${what}) within ${timeoutMs} ms; output:\n${output.join('')}`);
}

async function sipOptionsOk(port: number): Promise<boolean> {
  const c = await SipTestClient.open('udp', '127.0.0.1', port);
  try {
    c.send(buildRequest(c, { method: 'OPTIONS', uri: `sip:srs@127.0.0.1:${port}`, callId: rand(), fromTag: rand(4), cseq: 1 }));
    return (await c.waitFor(() => true, 500)).status === 200;
  } finally {
    c.close();
  }
}

export async function startAppliance(extra: Record<string, unknown> = {}): Promise<Appliance> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sipvault-test-'));
  const sipPort = await freePort();
  const portalPort = await freePort();
  const rtpBase = 20000 + randomInt(0, 200) * 200;
  const config = {
    dataDir,
    log: { level: 'info' },
    sip: { listen: [`udp:127.0.0.1:${sipPort}`, `tcp:127.0.0.1:${sipPort}`], trustedSources: ['127.0.0.0/8'] },
    media: { relay: 'direct', rtpPorts: `${rtpBase}-${rtpBase + 199}` },
    portal: { listen: `127.0.0.1:${portalPort}` },
    ...extra,
  };
  const configPath = join(dataDir, 'sipvault.yaml');
  writeFileSync(configPath, stringify(config));
  const output: string[] = [];
  const proc = spawn(process.execPath, [BIN, 'start', '--config', configPath], {
    env: { ...process.env, SIPVAULT_ADMIN_PASSWORD: ADMIN_PASSWORD },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout!.on('data', (d: Buffer) => output.push(d.toString()));
  proc.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
  const portalUrl = `http://127.0.0.1:${portalPort}`;
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise<void>((r) => proc.once('exit', () => r()));
      proc.kill('SIGTERM');
      const killer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitUntil('portal /healthz', async () => (await fetch(`${portalUrl}/healthz`)).ok, 20_000, output);
    await waitUntil('SIP OPTIONS', () => sipOptionsOk(sipPort), 20_000, output);
  } catch (err) {
    await stop();
    throw err;
  }
  return { dataDir, configPath, sipPort, portalUrl, process: proc, output, stop };
}

/** A logged-in portal session (cookie + CSRF token). */
export class PortalClient {
  private constructor(
    readonly baseUrl: string,
    private readonly cookie: string,
    readonly csrfToken: string,
  ) {}

  static async login(baseUrl: string, username = 'admin', password = ADMIN_PASSWORD): Promise<PortalClient> {
    const res = await fetch(`${baseUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
    const body = (await res.json()) as { csrfToken: string };
    return new PortalClient(baseUrl, cookie, body.csrfToken);
  }

  fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('cookie', this.cookie);
    if (init.method && init.method !== 'GET') headers.set('x-csrf-token', this.csrfToken);
    return fetch(`${this.baseUrl}${path}`, { ...init, headers });
  }

  async json<T>(path: string): Promise<T> {
    const res = await this.fetch(path);
    if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }
}

export async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined>, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
