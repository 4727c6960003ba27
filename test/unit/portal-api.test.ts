import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildConfig } from '../../config/loader.js';
import { Catalog, type NewInteraction, type Role } from '../../storage/catalog/index.js';
import { closePortal, listenPortal, loginOver, type PortalSession } from '../support/portal-harness.js';

let dir: string;
let catalog: Catalog;
let app: FastifyInstance;
let base: string;
const ids: Record<'between200and300' | 'with100' | 'active100' | 'old100', string> = {
  between200and300: '',
  with100: '',
  active100: '',
  old100: '',
};

function call(calling: string, called: string, startIso: string): NewInteraction {
  return {
    callId: `${calling}-${called}-${startIso}@src`,
    sessionId: null,
    startTime: new Date(startIso),
    direction: 'Incoming',
    callingParty: `sip:${calling}@pbx`,
    calledParty: `sip:${called}@pbx`,
    participants: [
      { participantId: 'a', name: null, aor: `sip:${calling}@pbx`, role: 'calling' },
      { participantId: 'b', name: null, aor: `${called}@pbx`, role: 'called' },
    ],
    src: 'udp:10.0.0.5:5060',
    streams: [{ label: '1', participantId: 'a', channel: 0, codec: 'PCMU', mixed: false }],
    partyRule: null,
  };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sipvault-portal-'));
  const config = buildConfig(
    { dataDir: dir, portal: { listen: '127.0.0.1:0' }, storage: { target: { type: 'local', name: 'Local', path: join(dir, 'media') } } },
    'test',
  );
  catalog = Catalog.open(config.dataDir);
  const users: Array<[string, Role, string[]]> = [
    ['admin', 'admin', []],
    ['alice', 'user', ['100']],
    ['audrey', 'auditor', []],
    ['sue', 'supervisor', []],
  ];
  for (const [username, role, extensions] of users) catalog.users.add({ username, password: `${username}-password`, role, extensions });
  ids.between200and300 = catalog.interactions.create(call('200', '300', '2026-11-24T09:00:00Z'));
  ids.with100 = catalog.interactions.create(call('100', '200', '2026-11-24T10:00:00Z'));
  ids.old100 = catalog.interactions.create(call('300', '100', '2026-11-20T10:00:00Z'));
  ids.active100 = catalog.interactions.create(call('100', '400', '2026-11-24T11:00:00Z'));
  for (const id of [ids.between200and300, ids.with100, ids.old100]) {
    catalog.interactions.finish(id, { endTime: new Date('2026-11-24T12:00:00Z'), releaseCause: 'Normal', status: 'pending', streams: [] });
  }
  catalog.alarms.raise({ name: 'ConnectionFailed', oid: '1.3.6.1.4.1.5003.9.40.3.2.0.101', source: 'sv/Local-SystemConfiguration', severity: 'critical', text: 'Connection To Storage Local Lost' });
  ({ app, base } = await listenPortal(config, catalog));
});

after(() => closePortal(app, catalog, dir));

type Session = PortalSession;

const login = (username: string, password?: string): Promise<Session> => loginOver(base, username, password);

function get(path: string, s?: Session): Promise<Response> {
  return fetch(`${base}${path}`, { headers: s ? { cookie: s.cookie } : {} });
}

function post(path: string, body: unknown, s?: Session, csrf = s?.csrf): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (s) headers.cookie = s.cookie;
  if (csrf) headers['x-csrf-token'] = csrf;
  return fetch(`${base}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
}

test('GET /healthz answers without login', async () => {
  const res = await get('/healthz');
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { status: 'ok', catalog: 'ok' });
});

test('login: wrong password and unknown user get the same 401; both audited', async () => {
  for (const [username, password] of [
    ['alice', 'not-her-password'],
    ['mallory', 'whatever-password'],
  ]) {
    const res = await post('/api/v1/auth/login', { username, password });
    assert.equal(res.status, 401);
    assert.deepEqual(await res.json(), { error: 'Unauthorized', message: 'invalid username or password' });
    assert.equal(res.headers.getSetCookie().length, 0);
  }
  const failed = catalog.audit.list({ limit: 100 }).filter((e) => e.action === 'login.failed');
  assert.deepEqual(failed.map((e) => e.username).sort(), ['alice', 'mallory']);
  assert.ok(failed.every((e) => e.ip === '127.0.0.1' && e.userId === null));

  const bad = await post('/api/v1/auth/login', { username: 'alice' });
  assert.equal(bad.status, 400);
  const body = (await bad.json()) as { error: string; message: string };
  assert.equal(body.error, 'Bad Request');
  assert.match(body.message, /password/);
});

test('login: session cookie flags, user and CSRF token; audited', async () => {
  const res = await post('/api/v1/auth/login', { username: 'alice', password: 'alice-password' });
  assert.equal(res.status, 200);
  const body = (await res.json()) as { user: { id: number; username: string; role: string }; csrfToken: string };
  assert.deepEqual(body.user, { id: catalog.users.byUsername('alice')!.id, username: 'alice', role: 'user' });
  assert.match(body.csrfToken, /^[A-Za-z0-9_-]{43}$/);
  const cookies = res.headers.getSetCookie();
  assert.equal(cookies.length, 1);
  const [pair, ...attrs] = cookies[0]!.split(';').map((s) => s.trim());
  assert.match(pair!, /^sipvault_session=[A-Za-z0-9_-]{43}$/);
  assert.ok(attrs.includes('HttpOnly'));
  assert.ok(attrs.includes('SameSite=Strict'));
  assert.ok(attrs.includes('Path=/'));
  assert.ok(!attrs.includes('Secure'), 'not Secure over plain http');
  assert.ok(catalog.audit.list({ limit: 100 }).some((e) => e.action === 'login' && e.username === 'alice'));

  const me = await get('/api/v1/auth/session', { cookie: pair!, csrf: body.csrfToken });
  assert.equal(me.status, 200);
  assert.equal(((await me.json()) as { csrfToken: string }).csrfToken, body.csrfToken);
});

test('401 without a session, with a bogus one, and after logout; logout needs the CSRF header', async () => {
  for (const res of [await get('/api/v1/interactions'), await get('/api/v1/interactions', { cookie: 'sipvault_session=nope', csrf: '' })]) {
    assert.equal(res.status, 401);
    const body = (await res.json()) as { error: string };
    assert.equal(body.error, 'Unauthorized');
  }
  const s = await login('sue');
  const noCsrf = await post('/api/v1/auth/logout', {}, s, '');
  assert.equal(noCsrf.status, 403);
  assert.match(((await noCsrf.json()) as { message: string }).message, /x-csrf-token/);
  const wrongCsrf = await post('/api/v1/auth/logout', {}, s, 'x'.repeat(43));
  assert.equal(wrongCsrf.status, 403);
  assert.equal((await get('/api/v1/interactions', s)).status, 200, 'the session still works after refused logouts');

  const out = await post('/api/v1/auth/logout', {}, s);
  assert.equal(out.status, 204);
  assert.match(out.headers.getSetCookie()[0] ?? '', /^sipvault_session=;/);
  assert.equal((await get('/api/v1/interactions', s)).status, 401);
  assert.ok(catalog.audit.list({ limit: 100 }).some((e) => e.action === 'logout' && e.username === 'sue'));
});

test('interactions: list, filter by party and time, paging, validation', async () => {
  const s = await login('admin');
  const res = await get('/api/v1/interactions', s);
  assert.equal(res.status, 200);
  const page = (await res.json()) as { items: Array<{ id: string; participants: unknown[]; streams: unknown[] }>; nextCursor: string | null };
  assert.deepEqual(
    page.items.map((i) => i.id),
    [ids.active100, ids.with100, ids.between200and300, ids.old100],
  );
  assert.equal(page.nextCursor, null);
  assert.equal(page.items[0]!.participants.length, 2);
  assert.ok(!('key' in (page.items[0] as { files?: unknown[] })), 'storage keys are not exposed');

  const q = (qs: string) =>
    get(`/api/v1/interactions?${qs}`, s)
      .then((r) => r.json())
      .then((b) => (b as { items: Array<{ id: string }> }).items.map((i) => i.id));
  assert.deepEqual(await q('party=300'), [ids.between200and300, ids.old100]);
  assert.deepEqual(await q('party=4*'), [ids.active100]);
  assert.deepEqual(await q(`party=300&from=${encodeURIComponent('2026-11-24T00:00:00Z')}`), [ids.between200and300]);
  assert.deepEqual(await q(`from=2026-11-24T09:30:00Z&to=2026-11-24T10:30:00Z`), [ids.with100]);
  assert.deepEqual(await q('status=recording'), [ids.active100]);

  const p1 = (await (await get('/api/v1/interactions?limit=3', s)).json()) as { items: Array<{ id: string }>; nextCursor: string };
  assert.equal(p1.items.length, 3);
  const p2 = (await (await get(`/api/v1/interactions?limit=3&cursor=${p1.nextCursor}`, s)).json()) as {
    items: Array<{ id: string }>;
    nextCursor: string | null;
  };
  assert.deepEqual(p2.items.map((i) => i.id), [ids.old100]);
  assert.equal(p2.nextCursor, null);

  for (const bad of ['limit=500', 'limit=0', 'from=yesterday', 'status=bogus', 'cursor=AAAA']) {
    const r = await get(`/api/v1/interactions?${bad}`, s);
    assert.equal(r.status, 400, bad);
    assert.deepEqual(Object.keys((await r.json()) as object).sort(), ['error', 'message']);
  }
});

test('interaction detail is 404 outside the caller scope; a user with extension 100 sees calls with 100', async () => {
  const alice = await login('alice');
  const hidden = await get(`/api/v1/interactions/${ids.between200and300}`, alice);
  assert.equal(hidden.status, 404);
  assert.deepEqual(await hidden.json(), { error: 'Not Found', message: 'interaction not found' });
  const missing = await get(`/api/v1/interactions/${'0'.repeat(24)}`, alice);
  assert.deepEqual(await missing.json(), { error: 'Not Found', message: 'interaction not found' }, 'same answer: existence is not revealed');

  const visible = await get(`/api/v1/interactions/${ids.with100}`, alice);
  assert.equal(visible.status, 200);
  const it = (await visible.json()) as { id: string; callingParty: string; status: string };
  assert.equal(it.id, ids.with100);
  assert.equal(it.callingParty, 'sip:100@pbx');

  const list = (await (await get('/api/v1/interactions', alice)).json()) as { items: Array<{ id: string }> };
  assert.deepEqual(list.items.map((i) => i.id), [ids.active100, ids.with100, ids.old100]);
  const active = (await (await get('/api/v1/calls/active', alice)).json()) as { items: Array<{ id: string; status: string }> };
  assert.deepEqual(active.items.map((i) => [i.id, i.status]), [[ids.active100, 'recording']]);

  const auditor = await login('audrey');
  assert.equal((await get(`/api/v1/interactions/${ids.with100}`, auditor)).status, 403, 'auditors hear no calls');
  assert.equal((await get('/api/v1/calls/active', auditor)).status, 403);
  assert.equal((await get(`/api/v1/interactions/not-an-id`, alice)).status, 400);
});

test('users: only admins create and list; duplicates 409; policy 400; audited', async () => {
  const alice = await login('alice');
  const denied = await post('/api/v1/users', { username: 'eve', password: 'eve-password', role: 'admin', extensions: [] }, alice);
  assert.equal(denied.status, 403);
  assert.equal(((await denied.json()) as { error: string }).error, 'Forbidden');
  assert.equal(catalog.users.byUsername('eve'), null);
  assert.equal((await get('/api/v1/users', alice)).status, 403);

  const admin = await login('admin');
  const created = await post('/api/v1/users', { username: 'bob', password: 'bob-password', role: 'user', extensions: ['200'] }, admin);
  assert.equal(created.status, 201);
  const bob = (await created.json()) as { id: number; username: string; role: string; extensions: string[] };
  assert.deepEqual({ ...bob, id: 0 }, { ...bob, id: 0, username: 'bob', role: 'user', extensions: ['200'] });
  assert.ok(!('password' in bob) && !('passwordHash' in bob));
  const entry = catalog.audit.list({ limit: 100 }).find((e) => e.action === 'user.create');
  assert.equal(entry?.username, 'admin');
  assert.equal(entry?.target, 'bob');

  const dup = await post('/api/v1/users', { username: 'BOB', password: 'bob-password', role: 'user', extensions: [] }, admin);
  assert.equal(dup.status, 409);
  assert.deepEqual(await dup.json(), { error: 'Conflict', message: 'user "BOB" already exists' });
  const weak = await post('/api/v1/users', { username: 'carl', password: 'short', role: 'user', extensions: [] }, admin);
  assert.equal(weak.status, 400);
  const noCsrf = await post('/api/v1/users', { username: 'dora', password: 'dora-password', role: 'user', extensions: [] }, admin, '');
  assert.equal(noCsrf.status, 403);

  const list = (await (await get('/api/v1/users', admin)).json()) as { items: Array<{ username: string }> };
  assert.ok(list.items.some((u) => u.username === 'bob'));
});

test('audit: admins and auditors only; CSV export has a header row', async () => {
  assert.equal((await get('/api/v1/audit', await login('alice'))).status, 403);
  assert.equal((await get('/api/v1/audit', await login('sue'))).status, 403);
  const auditor = await login('audrey');
  const json = await get('/api/v1/audit?limit=5', auditor);
  assert.equal(json.status, 200);
  const body = (await json.json()) as { items: Array<{ action: string; at: string }> };
  assert.equal(body.items.length, 5);
  assert.equal(body.items[0]!.action, 'login', 'newest first');

  const csv = await get('/api/v1/audit?format=csv', await login('admin'));
  assert.equal(csv.status, 200);
  assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/);
  assert.match(csv.headers.get('content-disposition') ?? '', /^attachment; filename="sipvault-audit-/);
  const lines = (await csv.text()).trimEnd().split('\n');
  assert.equal(lines[0], 'Date,Email,IpAddress,AppName,ActionType,Details');
  assert.ok(lines.length > 5);
  assert.ok(
    lines.some((l) => l.includes(',mallory,127.0.0.1,Portal,LoginFailed,"Failed login as mallory {""reason"":""password""}"')),
    lines.filter((l) => l.includes('mallory')).join('\n'),
  );
  assert.ok(catalog.audit.list({ limit: 5 }).some((e) => e.action === 'audit.export'));
});

test('alarms list active and recent alarms', async () => {
  const res = await get('/api/v1/alarms', await login('sue'));
  assert.equal(res.status, 200);
  const { items } = (await res.json()) as { items: Array<Record<string, unknown>> };
  assert.equal(items.length, 1);
  assert.deepEqual(Object.keys(items[0]!).sort(), ['clearedAt', 'id', 'name', 'oid', 'raisedAt', 'severity', 'source', 'state', 'text']);
  assert.equal(items[0]!.state, 'active');
  assert.equal(items[0]!.severity, 'critical');
  assert.equal((await get('/api/v1/alarms', await login('alice'))).status, 403);
});

test('OpenAPI docs are served locally; unknown routes answer JSON 404', async () => {
  const ui = await get('/api/docs/');
  assert.equal(ui.status, 200);
  assert.match(await ui.text(), /swagger/i);
  const spec = (await (await get('/api/docs/json')).json()) as { openapi: string; paths: Record<string, unknown> };
  assert.match(spec.openapi, /^3\./);
  for (const p of ['/api/v1/auth/login', '/api/v1/interactions', '/api/v1/interactions/{id}', '/api/v1/interactions/{id}/media', '/api/v1/audit', '/api/v1/users', '/healthz']) {
    assert.ok(spec.paths[p], `documented: ${p}`);
  }
  const nf = await get('/api/v1/nothing-here');
  assert.equal(nf.status, 404);
  assert.deepEqual(Object.keys((await nf.json()) as object).sort(), ['error', 'message']);
});
