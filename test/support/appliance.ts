// Starts the real appliance (`bin/sipvault start`) on a temporary dataDir and free ports, by PID,
// and stops it again. Tests talk to it only over SIP, RTP and HTTP, as an SBC and an admin would.
import assert from 'node:assert/strict';
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
  /** The SNMP agent's UDP port on 127.0.0.1 (snmp.agent.listen). */
  snmpPort: number;
  portalUrl: string;
  process: ChildProcess;
  output: string[];
  /** Stops the appliance (SIGTERM, then SIGKILL after 20 s) and removes its data unless asked to keep it. */
  stop(opts?: { keepData?: boolean }): Promise<void>;
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number, output: string[]): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`appliance not ready (${what}) within ${timeoutMs} ms; output:\n${output.join('')}`);
}

/** True when the recorder answers OPTIONS on 127.0.0.1:`port` over UDP within 500 ms. */
export async function sipOptionsOk(port: number): Promise<boolean> {
  const c = await SipTestClient.open('udp', '127.0.0.1', port);
  try {
    c.send(buildRequest(c, { method: 'OPTIONS', uri: `sip:srs@127.0.0.1:${port}`, callId: rand(), fromTag: rand(4), cseq: 1 }));
    return (await c.waitFor(() => true, 500)).status === 200;
  } finally {
    c.close();
  }
}

type Plain = Record<string, unknown>;
const isPlain = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `extra` over `base`, key by key (arrays and values replace, mappings merge). */
function deepMerge(base: Plain, extra: Plain): Plain {
  const out: Plain = { ...base };
  for (const [k, v] of Object.entries(extra)) out[k] = isPlain(v) && isPlain(out[k]) ? deepMerge(out[k] as Plain, v) : v;
  return out;
}

/**
 * Starts the appliance with test defaults deep-merged with `extra`. `sipPort` is the port of the
 * first udp: listen entry (readiness is checked with OPTIONS there).
 */
export async function startAppliance(extra: Record<string, unknown> = {}): Promise<Appliance> {
  const dataDir = mkdtempSync(join(tmpdir(), 'sipvault-test-'));
  const sipPort = await freePort();
  const portalPort = await freePort();
  const snmpPort = await freePort();
  const rtpBase = 20000 + randomInt(0, 200) * 200;
  const config = deepMerge(
    {
      dataDir,
      log: { level: 'info' },
      sip: { listen: [`udp:127.0.0.1:${sipPort}`, `tcp:127.0.0.1:${sipPort}`], trustedSources: ['127.0.0.0/8'], shutdownGraceSeconds: 2 },
      media: { relay: 'direct', rtpPorts: `${rtpBase}-${rtpBase + 199}` },
      portal: { listen: `127.0.0.1:${portalPort}` },
      snmp: { agent: { listen: `127.0.0.1:${snmpPort}` } },
    },
    extra,
  );
  const listen = (config.sip as { listen: string[] }).listen;
  const udpEntry = listen.find((l) => l.startsWith('udp:'));
  if (!udpEntry) throw new Error('startAppliance needs a udp: listen entry for its readiness check');
  const readyPort = Number(udpEntry.slice(udpEntry.lastIndexOf(':') + 1));
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
  const stop = async (opts: { keepData?: boolean } = {}) => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise<void>((r) => proc.once('exit', () => r()));
      proc.kill('SIGTERM');
      const killer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(killer);
    }
    // SIPVAULT_TEST_LOGS=DIR keeps each appliance's log for post-mortems of a failed run.
    const logDir = process.env.SIPVAULT_TEST_LOGS;
    if (logDir) writeFileSync(join(logDir, `appliance-${sipPort}.log`), output.join(''));
    if (!opts.keepData) rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitUntil('portal /healthz', async () => (await fetch(`${portalUrl}/healthz`)).ok, 20_000, output);
    await waitUntil('SIP OPTIONS', () => sipOptionsOk(readyPort), 20_000, output);
  } catch (err) {
    await stop();
    throw err;
  }
  return { dataDir, configPath, sipPort: readyPort, snmpPort, portalUrl, process: proc, output, stop };
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

/**
 * Polls `probe` until it returns a value. `seen` may describe the last state observed, so a
 * timeout says what was there instead of only what was missing.
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined>, timeoutMs = 20_000, seen?: () => unknown): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${seen ? `; last seen: ${JSON.stringify(seen())}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * A portal user created by `admin` and already past the first-login password change (users
 * created through the API must choose their own password), so it signs in with `password`.
 */
export async function readyUser(admin: PortalClient, user: { username: string; role: string; extensions?: string[] }, password: string): Promise<{ id: number }> {
  const initial = `Initial-${password}`;
  const created = await admin.fetch('/api/v1/users', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ extensions: [], ...user, password: initial }),
  });
  assert.equal(created.status, 201, `POST /users ${user.username}: ${await created.clone().text()}`);
  const once = await PortalClient.login(admin.baseUrl, user.username, initial);
  const changed = await once.fetch('/api/v1/auth/password', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ currentPassword: initial, newPassword: password }),
  });
  assert.equal(changed.status, 200, `first password change of ${user.username}: ${await changed.text()}`);
  return (await created.json()) as { id: number };
}
