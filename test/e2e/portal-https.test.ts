import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ADMIN_PASSWORD, BIN, freePort } from '../support/appliance.js';

// The real `sipvault portal` process with portal.tls.mode auto: the self-signed pair is made on
// the first start, kept for the next, and verified here as a client would (CA = that certificate,
// host name 127.0.0.1 checked against its subjectAltName).

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function httpsCall(url: string, ca: Buffer, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers, ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

interface Portal {
  proc: ChildProcess;
  output: string[];
  stop(): Promise<void>;
}

function startPortal(configPath: string): Portal {
  const output: string[] = [];
  const proc = spawn(process.execPath, [BIN, 'portal', '--config', configPath], {
    env: { ...process.env, SIPVAULT_ADMIN_PASSWORD: ADMIN_PASSWORD },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout!.on('data', (d: Buffer) => output.push(d.toString()));
  proc.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill('SIGTERM');
    const killer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
  };
  return { proc, output, stop };
}

async function until<T>(what: string, probe: () => Promise<T | null>, output: string[], ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => null);
    if (v !== null) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; output:\n${output.join('')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('portal.tls auto: self-signed certificate on first start, HTTPS with HSTS and Secure cookies, HTTP redirect, reused on restart', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sipvault-https-'));
  const port = await freePort();
  const redirectPort = await freePort();
  const configPath = join(dataDir, 'sipvault.yaml');
  writeFileSync(
    configPath,
    stringify({
      dataDir,
      log: { level: 'info' },
      portal: { listen: `127.0.0.1:${port}`, tls: { mode: 'auto' }, httpRedirect: `127.0.0.1:${redirectPort}` },
    }),
  );
  let portal = startPortal(configPath);
  t.after(async () => {
    await portal.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const certPath = join(dataDir, 'portal-tls', 'cert.pem');
  const keyPath = join(dataDir, 'portal-tls', 'key.pem');
  const base = `https://127.0.0.1:${port}`;

  const ca = await until('generated certificate', async () => (existsSync(certPath) ? readFileSync(certPath) : null), portal.output);
  assert.equal(statSync(keyPath).mode & 0o777, 0o600, 'the key is readable by its owner only');
  const cert = new X509Certificate(ca);
  assert.match(cert.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
  assert.ok(Date.parse(cert.validTo) > Date.now() + 365 * 86_400_000, 'valid for more than a year');

  // Verified TLS: the client trusts only this certificate and checks the address against it.
  const health = await until('HTTPS /healthz', async () => ((await httpsCall(`${base}/healthz`, ca)).status === 200 ? true : null), portal.output);
  assert.ok(health);
  const h = await httpsCall(`${base}/healthz`, ca);
  assert.equal(h.headers['strict-transport-security'], 'max-age=31536000');
  assert.ok(portal.output.join('').includes('generated a self-signed TLS certificate'));
  await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`), 'no plain HTTP on the HTTPS port');

  const login = await httpsCall(`${base}/api/v1/auth/login`, ca, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
  });
  assert.equal(login.status, 200, login.body);
  const setCookie = (login.headers['set-cookie'] as string[])[0]!;
  const attrs = setCookie.split(';').map((s) => s.trim());
  assert.ok(attrs.includes('Secure'), setCookie);
  assert.ok(attrs.includes('HttpOnly') && attrs.includes('SameSite=Strict'), setCookie);
  const cookie = attrs[0]!;
  const me = await httpsCall(`${base}/api/v1/auth/session`, ca, { headers: { cookie } });
  assert.equal(me.status, 200);
  assert.equal((JSON.parse(me.body) as { user: { username: string } }).user.username, 'admin');
  assert.equal(me.headers['strict-transport-security'], 'max-age=31536000');

  // The HTTP listener only redirects (308 keeps method and body), and serves nothing itself.
  for (const method of ['GET', 'POST']) {
    const r = await fetch(`http://127.0.0.1:${redirectPort}/api/v1/interactions?limit=5`, { method, redirect: 'manual' });
    assert.equal(r.status, 308, method);
    assert.equal(r.headers.get('location'), `${base}/api/v1/interactions?limit=5`);
    assert.equal(r.headers.getSetCookie().length, 0);
  }
  // The name the browser used is kept (fetch cannot set Host, node:http can).
  const location = await new Promise<string | undefined>((resolve, reject) => {
    httpGet({ host: '127.0.0.1', port: redirectPort, path: '/calls', headers: { host: 'recorder.example.com:80' } }, (res) => {
      res.resume();
      resolve(res.headers.location);
    }).on('error', reject);
  });
  assert.equal(location, `https://recorder.example.com:${port}/calls`);

  // Restart: the same certificate (browsers that accepted it keep accepting it).
  await portal.stop();
  portal = startPortal(configPath);
  await until('HTTPS after restart', async () => ((await httpsCall(`${base}/healthz`, ca)).status === 200 ? true : null), portal.output);
  assert.equal(new X509Certificate(readFileSync(certPath)).fingerprint256, cert.fingerprint256);
  assert.ok(!portal.output.join('').includes('generated a self-signed'));
});

test('portal.tls files: the configured pair is served; a missing file is an error naming the key', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sipvault-https-files-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const certPath = join(dataDir, 'site.crt');
  const keyPath = join(dataDir, 'site.key');
  const gen = spawn('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '30',
    '-subj', '/CN=files.test', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyPath, '-out', certPath], { stdio: 'ignore' });
  assert.equal(await new Promise((r) => gen.once('exit', r)), 0);

  const port = await freePort();
  const configPath = join(dataDir, 'sipvault.yaml');
  writeFileSync(configPath, stringify({ dataDir, portal: { listen: `127.0.0.1:${port}`, tls: { mode: 'files', cert: certPath, key: keyPath, hstsMaxAgeSeconds: 600 } } }));
  const portal = startPortal(configPath);
  t.after(() => portal.stop());
  const ca = readFileSync(certPath);
  await until('HTTPS /healthz', async () => ((await httpsCall(`https://127.0.0.1:${port}/healthz`, ca)).status === 200 ? true : null), portal.output);
  const h = await httpsCall(`https://127.0.0.1:${port}/healthz`, ca);
  assert.equal(h.headers['strict-transport-security'], 'max-age=600');
  assert.ok(!existsSync(join(dataDir, 'portal-tls')), 'nothing generated');

  const badPath = join(dataDir, 'bad.yaml');
  writeFileSync(badPath, stringify({ dataDir, portal: { listen: `127.0.0.1:${port}`, tls: { mode: 'files', cert: join(dataDir, 'missing.crt'), key: keyPath } } }));
  const bad = startPortal(badPath);
  const code = await new Promise<number | null>((r) => bad.proc.once('exit', (c) => r(c)));
  assert.equal(code, 1);
  assert.match(bad.output.join(''), /portal\.tls\.cert: cannot read .*missing\.crt/);
});
