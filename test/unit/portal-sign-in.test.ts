import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildConfig } from '../../config/loader.js';
import { createLogger } from '../../config/logger.js';
import { Catalog, type Role } from '../../storage/catalog/index.js';
import { buildPortal } from '../../portal/server.js';
import { newTotpSecret, otpauthUri, totpCode, verifyTotp } from '../../portal/auth/totp.js';

// Sign-in against a real portal (Fastify listening on a port, real SQLite catalog). Time is the
// portal's injected clock, so timeouts and lock expiry are tested without waiting.

const MINUTE = 60_000;
let dir: string;
let catalog: Catalog;
let app: FastifyInstance;
let base: string;
let now = Date.now();
const clock = () => now;

const PORTAL = {
  listen: '127.0.0.1:0',
  sessionIdleMinutes: 30,
  sessionAbsoluteHours: 2,
  auth: { passwordPolicy: { minLength: 10, minClasses: 3 }, lockout: { maxFailures: 3, lockMinutes: 10 } },
};

async function startPortal(t: TestContext | null, portal: Record<string, unknown>, dataDir: string, cat: Catalog) {
  const config = buildConfig({ dataDir, portal, storage: { target: { type: 'local', name: 'Local', path: join(dataDir, 'media') } } }, 'test');
  const a = await buildPortal({ config, catalog: cat, logger: createLogger('silent'), clock });
  await a.listen({ host: '127.0.0.1', port: 0 });
  t?.after(() => a.close());
  return { app: a, base: `http://127.0.0.1:${(a.server.address() as AddressInfo).port}` };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sipvault-sign-in-'));
  catalog = Catalog.open(dir);
  const users: Array<[string, Role]> = [
    ['admin', 'admin'],
    ['alice', 'user'],
    ['sue', 'supervisor'],
    ['tina', 'user'],
    ['tom', 'user'],
  ];
  for (const [username, role] of users) catalog.users.add({ username, password: `${username}-Passw0rd`, role, extensions: [] });
  ({ app, base } = await startPortal(null, PORTAL, dir, catalog));
});

after(async () => {
  await app?.close();
  catalog?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Session {
  cookie: string;
  csrf: string;
  pending: string | null;
}

async function tryLogin(username: string, password = `${username}-Passw0rd`, totp?: string, at = base): Promise<Response> {
  return fetch(`${at}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password, ...(totp === undefined ? {} : { totp }) }),
  });
}

async function sessionOf(res: Response): Promise<Session> {
  assert.equal(res.status, 200, `expected 200, got ${res.status}: ${await res.clone().text()}`);
  const body = (await res.json()) as { csrfToken: string; pending: string | null };
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith('sipvault_session='))!.split(';')[0]!;
  return { cookie, csrf: body.csrfToken, pending: body.pending };
}

async function login(username: string, password?: string, totp?: string, at = base): Promise<Session> {
  return sessionOf(await tryLogin(username, password, totp, at));
}

function call(method: string, path: string, opts: { s?: Session; body?: unknown; csrf?: string | null; bearer?: string; at?: string } = {}) {
  const headers: Record<string, string> = {};
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (opts.s) headers.cookie = opts.s.cookie;
  const csrf = opts.csrf === undefined ? opts.s?.csrf : opts.csrf;
  if (csrf) headers['x-csrf-token'] = csrf;
  if (opts.bearer) headers.authorization = `Bearer ${opts.bearer}`;
  return fetch(`${opts.at ?? base}${path}`, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
}

async function message(res: Response): Promise<string> {
  return ((await res.json()) as { message: string }).message;
}

const auditRows = (action: string, target?: string) =>
  catalog.audit.list({ limit: 1000 }).filter((e) => e.action === action && (target === undefined || e.target === target));

test('password policy: each broken rule is named, on create and on change', async () => {
  const admin = await login('admin');
  const short = await call('POST', '/api/v1/users', { s: admin, body: { username: 'pat', password: 'Ab1-xyz9', role: 'user', extensions: [] } });
  assert.equal(short.status, 400);
  assert.match(await message(short), /minLength: the password must have at least 10 characters \(it has 8\)/);
  const plain = await call('POST', '/api/v1/users', { s: admin, body: { username: 'pat', password: 'alllowercaseletters', role: 'user', extensions: [] } });
  assert.equal(plain.status, 400);
  assert.match(await message(plain), /minClasses: the password must mix at least 3 of lowercase letters, uppercase letters, digits, other characters \(it has 1\)/);
  assert.equal(catalog.users.byUsername('pat'), null, 'nothing created');

  const tom = await login('tom');
  const weak = await call('POST', '/api/v1/auth/password', { s: tom, body: { currentPassword: 'tom-Passw0rd', newPassword: 'only-lower-case' } });
  assert.equal(weak.status, 400);
  assert.match(await message(weak), /minClasses/);
  assert.ok(catalog.users.verify('tom', 'tom-Passw0rd'), 'password unchanged');
});

test('must-change-password: an account an admin created reaches nothing but the change until it is done', async () => {
  const admin = await login('admin');
  const created = await call('POST', '/api/v1/users', { s: admin, body: { username: 'bob', password: 'Initial-Pass1', role: 'user', extensions: ['200'] } });
  assert.equal(created.status, 201);
  assert.equal(((await created.json()) as { mustChangePassword: boolean }).mustChangePassword, true);

  const bob = await login('bob', 'Initial-Pass1');
  assert.equal(bob.pending, 'password-change');
  for (const path of ['/api/v1/interactions', '/api/v1/calls/active', '/api/v1/sessions', '/api/v1/tokens']) {
    const res = await call('GET', path, { s: bob });
    assert.equal(res.status, 403, path);
    assert.equal(await message(res), 'you must change your password first (POST /api/v1/auth/password)');
  }
  const who = await call('GET', '/api/v1/auth/session', { s: bob });
  assert.equal(who.status, 200);
  assert.equal(((await who.json()) as { pending: string }).pending, 'password-change');

  const wrong = await call('POST', '/api/v1/auth/password', { s: bob, body: { currentPassword: 'not-it-Pass1', newPassword: 'Bobs-Own-Pass2' } });
  assert.equal(wrong.status, 403);
  const same = await call('POST', '/api/v1/auth/password', { s: bob, body: { currentPassword: 'Initial-Pass1', newPassword: 'Initial-Pass1' } });
  assert.equal(same.status, 400);
  assert.match(await message(same), /must differ/);
  const noCsrf = await call('POST', '/api/v1/auth/password', { s: bob, csrf: null, body: { currentPassword: 'Initial-Pass1', newPassword: 'Bobs-Own-Pass2' } });
  assert.equal(noCsrf.status, 403, 'CSRF still required');
  assert.match(await message(noCsrf), /x-csrf-token/);

  const changed = await call('POST', '/api/v1/auth/password', { s: bob, body: { currentPassword: 'Initial-Pass1', newPassword: 'Bobs-Own-Pass2' } });
  const fresh = await sessionOf(changed);
  assert.equal(fresh.pending, null);
  assert.notEqual(fresh.cookie, bob.cookie, 'a new session after the change');
  assert.equal((await call('GET', '/api/v1/interactions', { s: bob })).status, 401, 'the old session ended');
  assert.equal((await call('GET', '/api/v1/interactions', { s: fresh })).status, 200);
  assert.equal(catalog.users.byUsername('bob')!.mustChangePassword, false);
  assert.equal((await tryLogin('bob', 'Initial-Pass1')).status, 401);
  assert.equal((await login('bob', 'Bobs-Own-Pass2')).pending, null);
  assert.equal(auditRows('user.update', 'bob').length, 1, 'one audit row for the change');
});

test('brute force locks the account for lockMinutes; audited; the lock expires', async () => {
  for (let i = 1; i <= 3; i++) {
    const res = await tryLogin('alice', `guess-number-${i}`);
    assert.equal(res.status, 401);
  }
  const failures = auditRows('login.failed', 'alice');
  assert.equal(failures.length, 3, 'one row per failure');
  assert.deepEqual(failures.map((f) => (f.details as { failures: number }).failures).sort(), [1, 2, 3]);
  const locking = failures.find((f) => (f.details as { locked?: boolean }).locked)!;
  assert.ok(locking, 'the third failure locked the account');
  assert.equal(Date.parse((locking.details as { lockedUntil: string }).lockedUntil), now + 10 * MINUTE);

  // Even the right password is refused while locked, without touching the hash.
  const locked = await tryLogin('alice');
  assert.equal(locked.status, 423);
  assert.match(await message(locked), /account locked after repeated failed logins until /);
  assert.equal(locked.headers.get('retry-after'), '600');
  const throttled = auditRows('login.throttled', 'alice');
  assert.equal(throttled.length, 1);
  assert.equal((throttled[0]!.details as { reason: string }).reason, 'account locked');
  assert.equal((await tryLogin('sue')).status, 200, 'other accounts are not affected');
  // An unknown username answers the same way, so the 423 does not reveal which accounts exist.
  for (let i = 0; i < 3; i++) assert.equal((await tryLogin('nobody-here', 'Whatever-1')).status, 401);
  const phantom = await tryLogin('nobody-here', 'Whatever-1');
  assert.equal(phantom.status, 423);
  assert.match(await message(phantom), /account locked after repeated failed logins until /);

  now += 10 * MINUTE - 1000;
  assert.equal((await tryLogin('alice')).status, 423, 'still locked a second before the end');
  now += 1000;
  const s = await login('alice');
  assert.equal((await call('GET', '/api/v1/interactions', { s })).status, 200);
  // A success clears the count: two more failures do not lock.
  for (let i = 0; i < 2; i++) assert.equal((await tryLogin('alice', 'wrong-again')).status, 401);
  assert.equal((await tryLogin('alice')).status, 200);
});

test('TOTP: RFC 6238 vectors (SHA-1), one step of tolerance either side, the step for replay checks', () => {
  // RFC 6238 appendix B: the ASCII key 12345678901234567890, base32-encoded.
  const key = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
  assert.equal(totpCode(key, 59_000, 8), '94287082');
  assert.equal(totpCode(key, 1_111_111_109_000, 8), '07081804');
  assert.equal(totpCode(key, 20_000_000_000_000, 8), '65353130');
  const secret = newTotpSecret();
  assert.match(secret, /^[A-Z2-7]{32}$/);
  const at = 1_700_000_000_000;
  const code = totpCode(secret, at);
  assert.equal(verifyTotp(secret, code, at), Math.floor(at / 30_000));
  assert.equal(verifyTotp(secret, code, at + 30_000), Math.floor(at / 30_000), 'the previous step is accepted');
  assert.equal(verifyTotp(secret, code, at + 90_000), null, 'three steps later it is not');
  assert.equal(verifyTotp(secret, 'abcdef', at), null);
  assert.match(otpauthUri('sipvault', 'alice', secret), /^otpauth:\/\/totp\/sipvault:alice\?.*secret=[A-Z2-7]+/);
});

test('TOTP enrolment, then login needs a current code, each code once', async () => {
  const tina = await login('tina');
  const enrol = await call('POST', '/api/v1/auth/totp/enrol', { s: tina });
  assert.equal(enrol.status, 200);
  const { secret, otpauthUri } = (await enrol.json()) as { secret: string; otpauthUri: string };
  assert.match(secret, /^[A-Z2-7]{32}$/);
  const uri = new URL(otpauthUri);
  assert.equal(uri.protocol, 'otpauth:');
  assert.equal(otpauthUri.split('?')[0], 'otpauth://totp/sipvault:tina');
  assert.equal(uri.searchParams.get('secret'), secret);
  assert.equal(uri.searchParams.get('issuer'), 'sipvault');

  // Not in force before confirmation.
  assert.equal((await tryLogin('tina')).status, 200);
  const bad = await call('POST', '/api/v1/auth/totp/confirm', { s: tina, body: { code: totpCode(secret, now + 5 * MINUTE) } });
  assert.equal(bad.status, 400);
  const ok = await call('POST', '/api/v1/auth/totp/confirm', { s: tina, body: { code: totpCode(secret, now) } });
  assert.equal(ok.status, 200);
  assert.equal(auditRows('user.update', 'tina').length, 1);
  assert.equal((await call('POST', '/api/v1/auth/totp/enrol', { s: tina })).status, 409);

  const noCode = await tryLogin('tina');
  assert.equal(noCode.status, 401);
  assert.equal(await message(noCode), 'this account needs a TOTP code: send it in the "totp" field');
  const wrongCode = await tryLogin('tina', undefined, totpCode(secret, now + 10 * MINUTE));
  assert.equal(wrongCode.status, 401);
  assert.equal(await message(wrongCode), 'invalid TOTP code');
  assert.equal((await tryLogin('tina', 'bad-Passw0rd', totpCode(secret, now))).status, 401, 'a code does not replace the password');

  now += 30_000;
  const code = totpCode(secret, now);
  const s = await login('tina', undefined, code);
  assert.equal((await call('GET', '/api/v1/interactions', { s })).status, 200);
  const replay = await tryLogin('tina', undefined, code);
  assert.equal(replay.status, 401, 'a code works once');
  now += 30_000;
  await login('tina', undefined, totpCode(secret, now));
  // Wrong codes count towards the lockout like wrong passwords.
  for (let i = 0; i < 3; i++) assert.equal((await tryLogin('tina', undefined, '000000')).status, 401);
  assert.equal((await tryLogin('tina', undefined, totpCode(secret, now + 30_000))).status, 423);
});

test('requireTotpForAdmins: an administrator without TOTP may only enrol', async (t) => {
  const d = mkdtempSync(join(tmpdir(), 'sipvault-sign-in-totp-'));
  const cat = Catalog.open(d);
  t.after(() => {
    cat.close();
    rmSync(d, { recursive: true, force: true });
  });
  cat.users.add({ username: 'root', password: 'root-Passw0rd', role: 'admin', extensions: [] });
  cat.users.add({ username: 'ulla', password: 'ulla-Passw0rd', role: 'user', extensions: [] });
  cat.users.add({ username: 'sam', password: 'sam-Passw0rd1', role: 'sysadmin', extensions: [] });
  const { base: at } = await startPortal(t, { ...PORTAL, auth: { ...PORTAL.auth, requireTotpForAdmins: true } }, d, cat);
  assert.equal((await login('sam', 'sam-Passw0rd1', undefined, at)).pending, 'totp-enrolment', 'a System Administrator is an administrator too');

  const root = await login('root', 'root-Passw0rd', undefined, at);
  assert.equal(root.pending, 'totp-enrolment');
  const denied = await call('GET', '/api/v1/users', { s: root, at });
  assert.equal(denied.status, 403);
  assert.match(await message(denied), /administrators must enrol a TOTP authenticator first/);
  assert.equal((await login('ulla', 'ulla-Passw0rd', undefined, at)).pending, null, 'not required of other roles');

  const { secret } = (await (await call('POST', '/api/v1/auth/totp/enrol', { s: root, at })).json()) as { secret: string };
  assert.equal((await call('POST', '/api/v1/auth/totp/confirm', { s: root, at, body: { code: totpCode(secret, now) } })).status, 200);
  assert.equal((await call('GET', '/api/v1/users', { s: root, at })).status, 200, 'enrolled: the same session goes on');
  const off = await call('POST', '/api/v1/auth/totp/disable', { s: root, at, body: { password: 'root-Passw0rd' } });
  assert.equal(off.status, 403);
  assert.match(await message(off), /requireTotpForAdmins/);
  now += 30_000;
  assert.equal((await login('root', 'root-Passw0rd', totpCode(secret, now), at)).pending, null);
});

test('idle timeout: activity keeps a session, 30 idle minutes end it', async () => {
  const s = await login('sue');
  for (let i = 1; i <= 2; i++) {
    now += 29 * MINUTE;
    assert.equal((await call('GET', '/api/v1/interactions', { s })).status, 200, `active after ${i * 29} min`);
  }
  now += 30 * MINUTE;
  const gone = await call('GET', '/api/v1/interactions', { s });
  assert.equal(gone.status, 401, 'idle 30 min (88 min in, under the 2 h absolute limit)');
  assert.equal(await message(gone), 'session expired or ended; log in again');
});

test('a page refreshing itself (x-sipvault-background: 1) is answered but does not keep the session from going idle', async () => {
  const s = await login('sue');
  const background = () =>
    fetch(`${base}/api/v1/calls/active`, { headers: { cookie: s.cookie, 'x-sipvault-background': '1' } });
  now += 20 * MINUTE;
  assert.equal((await background()).status, 200, 'a live session answers background refreshes');
  now += 9 * MINUTE;
  assert.equal((await background()).status, 200, '29 idle minutes');
  now += 2 * MINUTE;
  assert.equal((await background()).status, 401, 'the refreshes did not count: idle for 31 minutes');
  // The same refreshes without the header are activity.
  const t = await login('sue');
  now += 20 * MINUTE;
  assert.equal((await call('GET', '/api/v1/calls/active', { s: t })).status, 200);
  now += 20 * MINUTE;
  assert.equal((await call('GET', '/api/v1/calls/active', { s: t })).status, 200, 'still signed in 40 minutes after login');
});

test('absolute timeout: a session ends after sessionAbsoluteHours however active', async () => {
  const s = await login('sue');
  for (let minutes = 25; minutes < 120; minutes += 25) {
    now += 25 * MINUTE;
    assert.equal((await call('GET', '/api/v1/interactions', { s })).status, 200, `at ${minutes} min`);
  }
  now += 20 * MINUTE;
  assert.equal((await call('GET', '/api/v1/interactions', { s })).status, 401, 'at 120 min, 20 min after the last request');
});

test('session list: own for users, all for admins; terminating one makes its cookie 401', async () => {
  const a1 = await login('alice');
  const a2 = await login('alice');
  const sue = await login('sue');
  const admin = await login('admin');

  const mine = (await (await call('GET', '/api/v1/sessions', { s: a1 })).json()) as { items: Array<{ id: string; username: string; current: boolean; ip: string }> };
  assert.ok(mine.items.length >= 2);
  assert.ok(mine.items.every((i) => i.username === 'alice'), 'only her own');
  assert.equal(mine.items.filter((i) => i.current).length, 1);
  assert.equal(mine.items[0]!.ip, '127.0.0.1');
  const all = (await (await call('GET', '/api/v1/sessions', { s: admin })).json()) as { items: Array<{ id: string; username: string }> };
  const sueSession = all.items.find((i) => i.username === 'sue')!;
  assert.ok(sueSession && all.items.some((i) => i.username === 'alice'));

  const otherOfAlice = mine.items.find((i) => !i.current)!;
  assert.equal((await call('DELETE', `/api/v1/sessions/${otherOfAlice.id}`, { s: a1, csrf: null })).status, 403, 'CSRF missing');
  assert.equal((await call('DELETE', `/api/v1/sessions/${sueSession.id}`, { s: a1 })).status, 404, "not another user's");
  assert.equal((await call('GET', '/api/v1/interactions', { s: sue })).status, 200);
  assert.equal((await call('DELETE', `/api/v1/sessions/${otherOfAlice.id}`, { s: a1 })).status, 204);
  const both = [a1, a2].map((s) => call('GET', '/api/v1/interactions', { s }));
  const statuses = await Promise.all(both.map(async (r) => (await r).status));
  assert.deepEqual(statuses.sort(), [200, 401], 'the terminated one is 401, the other lives');

  assert.equal((await call('DELETE', `/api/v1/sessions/${sueSession.id}`, { s: admin })).status, 204);
  assert.equal((await call('GET', '/api/v1/interactions', { s: sue })).status, 401);
  const rows = auditRows('session.terminate', 'sue');
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.username, 'admin');
  assert.equal((await call('DELETE', `/api/v1/sessions/${sueSession.id}`, { s: admin })).status, 404, 'already gone');
});

test('API tokens: bearer works without CSRF, never exceeds its user, revoked or expired is 401', async () => {
  const admin = await login('admin');
  const alice = await login('alice');

  const mk = async (s: Session, body: unknown) => call('POST', '/api/v1/tokens', { s, body });
  const created = await mk(alice, { name: 'crm' });
  assert.equal(created.status, 201);
  const aliceToken = (await created.json()) as { id: number; token: string; permissions: null };
  assert.match(aliceToken.token, /^svt_[A-Za-z0-9_-]{43}$/);
  assert.equal(aliceToken.permissions, null);

  assert.equal((await call('GET', '/api/v1/interactions', { bearer: aliceToken.token })).status, 200);
  assert.equal((await call('GET', '/api/v1/users', { bearer: aliceToken.token })).status, 403, "no more than alice's role");
  const beyond = await mk(alice, { name: 'sneaky', permissions: ['users:write'] });
  assert.equal(beyond.status, 400);
  assert.equal(await message(beyond), 'permissions: "users:write" is not granted to you (role user, your access profile)');
  assert.equal((await call('POST', '/api/v1/tokens', { bearer: aliceToken.token, body: { name: 'child' } })).status, 403, 'a token mints no tokens');
  assert.equal((await call('GET', '/api/v1/interactions', { bearer: 'svt_' + 'x'.repeat(43) })).status, 401);

  // An admin token changes state without any CSRF header or cookie.
  const adminToken = ((await (await mk(admin, { name: 'provisioning' })).json()) as { token: string }).token;
  const viaToken = await call('POST', '/api/v1/users', { bearer: adminToken, body: { username: 'svc1', password: 'Svc-Passw0rd', role: 'user', extensions: [] } });
  assert.equal(viaToken.status, 201);
  assert.equal(auditRows('user.create', 'svc1')[0]?.username, 'admin');

  const narrow = ((await (await mk(admin, { name: 'reader', permissions: ['interactions:read'] })).json()) as { token: string }).token;
  assert.equal((await call('GET', '/api/v1/interactions', { bearer: narrow })).status, 200);
  const limited = await call('GET', '/api/v1/users', { bearer: narrow });
  assert.equal(limited.status, 403);
  assert.match(await message(limited), /limited to interactions:read/);

  const listed = (await (await call('GET', '/api/v1/tokens', { s: alice })).json()) as { items: Array<{ id: number; name: string }> };
  assert.deepEqual(listed.items.map((i) => i.name), ['crm'], 'own tokens only');
  assert.ok(!JSON.stringify(listed).includes(aliceToken.token), 'never shown again');
  assert.ok(!JSON.stringify(catalog.apiTokens.list(null)).includes(aliceToken.token.slice(4)), 'not stored in clear');
  assert.equal((await call('DELETE', `/api/v1/tokens/${aliceToken.id}`, { s: admin, csrf: null })).status, 403, 'CSRF missing');
  assert.equal((await call('DELETE', `/api/v1/tokens/${aliceToken.id}`, { s: alice })).status, 204);
  const revoked = await call('GET', '/api/v1/interactions', { bearer: aliceToken.token });
  assert.equal(revoked.status, 401);
  assert.match(await message(revoked), /invalid, expired or revoked API token/);
  assert.equal(auditRows('token.create', 'crm').length, 1);
  assert.equal(auditRows('token.revoke', 'crm').length, 1);

  const shortLived = ((await (await mk(alice, { name: 'day', expiresInDays: 1 })).json()) as { token: string }).token;
  assert.equal((await call('GET', '/api/v1/interactions', { bearer: shortLived })).status, 200);
  now += 24 * 60 * MINUTE;
  assert.equal((await call('GET', '/api/v1/interactions', { bearer: shortLived })).status, 401, 'expired');
});

test('portal sign-in config: defaults, and errors that name the key', () => {
  const d = buildConfig({}, 'test');
  assert.deepEqual(d.portal.tls, { mode: 'off', cert: null, key: null, hstsMaxAgeSeconds: 31536000 });
  assert.equal(d.portal.httpRedirect, null);
  assert.equal(d.portal.sessionAbsoluteHours, 12);
  assert.deepEqual(d.portal.auth, {
    passwordPolicy: { minLength: 10, minClasses: 2 },
    lockout: { maxFailures: 5, lockMinutes: 15 },
    requireTotpForAdmins: false,
    totpIssuer: 'sipvault',
  });
  const problems = (raw: unknown) => {
    try {
      buildConfig(raw, 'test');
    } catch (err) {
      return (err as Error).message;
    }
    return '';
  };
  assert.match(problems({ portal: { tls: { mode: 'files' } } }), /portal\.tls\.cert: required when portal\.tls\.mode is files/);
  assert.match(problems({ portal: { tls: { mode: 'auto', cert: '/x.pem' } } }), /portal\.tls\.key: give both cert and key, or neither/);
  assert.match(problems({ portal: { httpRedirect: '0.0.0.0:80' } }), /portal\.httpRedirect: redirects to HTTPS, so portal\.tls\.mode must be auto or files/);
  assert.match(problems({ portal: { tls: { mode: 'on' } } }), /portal\.tls\.mode/);
  assert.match(problems({ portal: { auth: { passwordPolicy: { minLength: 4 } } } }), /portal\.auth\.passwordPolicy\.minLength/);
  assert.match(problems({ portal: { auth: { lockout: { maxFailures: 0 } } } }), /portal\.auth\.lockout\.maxFailures/);
});

test('preferences are per user: one user\'s column choice is theirs alone, and a malformed one is refused by name', async () => {
  const sue = await login('sue');
  const alice = await login('alice');
  const put = (s: Session, body: unknown) => call('PUT', '/api/v1/me/preferences', { s, body });
  const get = async (s: Session) => ((await (await call('GET', '/api/v1/me/preferences', { s })).json()) as { interactionColumns: string[] | null }).interactionColumns;
  assert.equal(await get(alice), null, 'never chosen');
  assert.equal((await put(sue, { interactionColumns: ['date', 'original'] })).status, 200);
  assert.deepEqual(await get(sue), ['date', 'original']);
  assert.equal(await get(alice), null, 'Sue\'s choice is not Alice\'s');
  const bad = await put(sue, { interactionColumns: ['date', '<script>'] });
  assert.equal(bad.status, 400);
  assert.match(await message(bad), /interactionColumns/);
  const unknown = await put(sue, { theme: 'dark' });
  assert.equal(unknown.status, 400);
  assert.match(await message(unknown), /theme/);
  assert.deepEqual(await get(sue), ['date', 'original'], 'nothing changed by a refused request');
});
