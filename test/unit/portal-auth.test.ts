import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyRequest } from 'fastify';
import { pino } from 'pino';
import { buildConfig } from '../../config/loader.js';
import { createLogger } from '../../config/logger.js';
import { Catalog } from '../../storage/catalog/index.js';
import { buildPortal } from '../../portal/server.js';
import { ensureAdmin } from '../../portal/auth/bootstrap-admin.js';
import { LoginThrottle } from '../../portal/auth/login-throttle.js';
import { can, scopeFor } from '../../portal/auth/rbac.js';
import { sessionCookieOptions } from '../../portal/auth/session-auth.js';
import { rangeStart } from '../../portal/api/media.js';

function openCatalog(t: TestContext): { dir: string; catalog: Catalog } {
  const dir = mkdtempSync(join(tmpdir(), 'sipvault-auth-'));
  const catalog = Catalog.open(dir);
  t.after(() => {
    catalog.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, catalog };
}

function capturingLogger() {
  const lines: Array<{ level: number; msg: string }> = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { logger, lines };
}

test('ensureAdmin on an empty catalog: random password logged once at warn, and it works', (t) => {
  const { catalog } = openCatalog(t);
  const saved = process.env.SIPVAULT_ADMIN_PASSWORD;
  delete process.env.SIPVAULT_ADMIN_PASSWORD;
  t.after(() => {
    if (saved !== undefined) process.env.SIPVAULT_ADMIN_PASSWORD = saved;
  });
  const { logger, lines } = capturingLogger();
  ensureAdmin(catalog, logger);
  ensureAdmin(catalog, logger);
  const announced = lines.filter((l) => l.msg.startsWith('initial admin password: '));
  assert.equal(announced.length, 1, 'logged exactly once');
  assert.equal(announced[0]!.level, 40, 'at warn');
  const password = announced[0]!.msg.slice('initial admin password: '.length);
  assert.match(password, /^[A-Za-z0-9]{16}$/);
  const admin = catalog.users.verify('admin', password);
  assert.equal(admin?.role, 'admin');
  assert.equal(catalog.users.count(), 1);
});

test('ensureAdmin uses SIPVAULT_ADMIN_PASSWORD and never logs it', (t) => {
  const { catalog } = openCatalog(t);
  const saved = process.env.SIPVAULT_ADMIN_PASSWORD;
  process.env.SIPVAULT_ADMIN_PASSWORD = 'from-the-environment';
  t.after(() => {
    if (saved === undefined) delete process.env.SIPVAULT_ADMIN_PASSWORD;
    else process.env.SIPVAULT_ADMIN_PASSWORD = saved;
  });
  const { logger, lines } = capturingLogger();
  ensureAdmin(catalog, logger);
  assert.ok(catalog.users.verify('admin', 'from-the-environment'));
  assert.ok(!lines.some((l) => JSON.stringify(l).includes('from-the-environment')));

  process.env.SIPVAULT_ADMIN_PASSWORD = 'short';
  const other = openCatalog(t).catalog;
  assert.throws(() => ensureAdmin(other, logger), /SIPVAULT_ADMIN_PASSWORD is not usable: password must be at least 8/);
});

test('roles map to permissions and scopes', () => {
  assert.deepEqual(scopeFor({ id: 1, role: 'admin', extensions: ['1'] }), { kind: 'all' });
  // Supervisors see their own (linked) calls until managed groups exist; never unassigned ones.
  assert.deepEqual(scopeFor({ id: 2, role: 'supervisor', extensions: [] }), { kind: 'user', userId: 2 });
  assert.deepEqual(scopeFor({ id: 3, role: 'user', extensions: ['100', '101'] }), { kind: 'user', userId: 3 });
  assert.deepEqual(scopeFor({ id: 4, role: 'auditor', extensions: ['100'] }), { kind: 'extensions', extensions: [] });
  assert.ok(can('admin', 'legalhold:write') && can('admin', 'interactions:delete'));
  assert.ok(!can('supervisor', 'legalhold:write') && !can('user', 'interactions:delete'));
  assert.ok(can('admin', 'users:write'));
  assert.ok(!can('supervisor', 'users:write'));
  assert.ok(!can('user', 'audit:read'));
  assert.ok(can('auditor', 'audit:read'));
  assert.ok(!can('auditor', 'media:read'));
});

test('session cookie is Secure when the request came over TLS', () => {
  assert.deepEqual(sessionCookieOptions({ protocol: 'https' } as FastifyRequest), {
    httpOnly: true,
    sameSite: 'strict',
    path: '/',
    secure: true,
  });
  assert.equal(sessionCookieOptions({ protocol: 'http' } as FastifyRequest).secure, false);
});

test('login throttle: N failures per address and username, then a wait', () => {
  const th = new LoginThrottle(3, 1000);
  for (let i = 0; i < 3; i++) th.fail('10.0.0.1', 'Admin', 0);
  assert.ok(th.retryAfterMs('10.0.0.1', 'admin', 10) > 0);
  assert.equal(th.retryAfterMs('10.0.0.2', 'admin', 10), 0, 'other addresses are not locked out');
  assert.equal(th.retryAfterMs('10.0.0.1', 'admin', 1000), 0, 'window passed');
  th.fail('10.0.0.3', 'x', 0);
  th.succeed('10.0.0.3', 'x');
  assert.equal(th.retryAfterMs('10.0.0.3', 'x', 1), 0);
});

test('range start parsing decides play vs download auditing', () => {
  assert.equal(rangeStart(undefined), null);
  assert.equal(rangeStart('bytes=0-99'), 0);
  assert.equal(rangeStart('bytes=0-'), 0);
  assert.equal(rangeStart('bytes=100-199'), 100);
  assert.equal(rangeStart('bytes=-500'), -1);
  assert.equal(rangeStart('items=0-1'), null);
});

test('/healthz answers 503 when the catalog cannot be queried', async (t) => {
  const { dir, catalog } = openCatalog(t);
  const config = buildConfig({ dataDir: dir, portal: { listen: '127.0.0.1:0' } }, 'test');
  const app = await buildPortal({ config, catalog, logger: createLogger('silent') });
  t.after(() => app.close());
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/healthz`;
  assert.equal((await fetch(url)).status, 200);
  catalog.close();
  const res = await fetch(url);
  assert.equal(res.status, 503);
  assert.deepEqual(await res.json(), { status: 'error', catalog: 'error' });
});
