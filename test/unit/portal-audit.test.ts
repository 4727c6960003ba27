// The audit trail through the portal: exactly one row per audited action, search and CSV export,
// the hash chain's verification, the System Activity Log, and configuration through the API
// (retention, storage targets with a real s3rver, SNMP destinations), each change audited.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import BetterSqlite3 from 'better-sqlite3';
import { buildConfig } from '../../config/loader.js';
import { Catalog, CATALOG_FILE, type NewInteraction, type Role } from '../../storage/catalog/index.js';
import { S3Server, S3RVER_KEY } from '../support/s3-server.js';
import { closePortal, listenPortal, loginOver, type PortalSession } from '../support/portal-harness.js';
import { parse as parseCsvText } from 'csv-parse/sync';

let dir: string;
let catalog: Catalog;
let app: FastifyInstance;
let base: string;
let s3: S3Server;
const ids = { played: '', deleted: '' };

function call(calling: string, called: string, startIso: string): NewInteraction {
  return {
    callId: `${calling}-${called}-${startIso}@src`,
    sessionId: null,
    startTime: new Date(startIso),
    direction: 'Incoming',
    callingParty: `sip:${calling}@pbx`,
    calledParty: `sip:${called}@pbx`,
    participants: [],
    src: 'udp:10.0.0.5:5060',
    streams: [],
    partyRule: null,
  };
}

function storeWav(mediaRoot: string, id: string): void {
  const bytes = Buffer.alloc(44 + 4000, 1);
  bytes.write('RIFF', 0, 'ascii');
  const key = `2026/11/24/${id}.wav`;
  mkdirSync(dirname(join(mediaRoot, key)), { recursive: true });
  writeFileSync(join(mediaRoot, key), bytes);
  catalog.interactions.attachFile(id, { format: 'wav', key, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), sampleRate: 8000, channels: 2, durationMs: 250 });
  catalog.interactions.finish(id, { endTime: new Date('2026-11-24T10:05:00Z'), releaseCause: 'Normal', status: 'pending', streams: [] });
  catalog.interactions.setStatus(id, 'available');
}

before(async () => {
  s3 = await S3Server.start();
  dir = mkdtempSync(join(tmpdir(), 'sipvault-portal-audit-'));
  const mediaRoot = join(dir, 'media');
  const config = buildConfig(
    {
      dataDir: dir,
      portal: { listen: '127.0.0.1:0' },
      storage: { target: { type: 'local', name: 'Local', path: mediaRoot } },
      snmp: { traps: [{ host: '192.0.2.10', port: 162, version: 'v2c', community: 'noc-secret' }] },
    },
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
  ids.played = catalog.interactions.create(call('100', '200', '2026-11-24T10:00:00Z'));
  storeWav(mediaRoot, ids.played);
  ids.deleted = catalog.interactions.create(call('100', '300', '2026-11-24T11:00:00Z'));
  storeWav(mediaRoot, ids.deleted);
  ({ app, base } = await listenPortal(config, catalog));
});

after(async () => {
  await closePortal(app, catalog, dir);
  await s3?.destroy();
});

type Session = PortalSession;

const login = (username: string, password?: string): Promise<Session> => loginOver(base, username, password);

function get(path: string, s?: Session, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${base}${path}`, { headers: { ...(s ? { cookie: s.cookie } : {}), ...headers } });
}

function send(method: string, path: string, body: unknown, s?: Session): Promise<Response> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (s) Object.assign(headers, { cookie: s.cookie, 'x-csrf-token': s.csrf });
  return fetch(`${base}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
}
const post = (path: string, body: unknown, s?: Session) => send('POST', path, body, s);

/** Runs `fn` and checks it left exactly one new audit row, of `action`; returns that row. */
async function exactlyOne(action: string, fn: () => Promise<Response>, status = 200) {
  const last = catalog.audit.lastId() ?? 0;
  const res = await fn();
  assert.equal(res.status, status, `${action}: HTTP ${res.status} ${res.status >= 400 ? await res.text() : ''}`);
  await res.arrayBuffer().catch(() => undefined);
  const rows = catalog.audit.search({ limit: 10, beforeId: Number.MAX_SAFE_INTEGER }).items.filter((e) => e.id > last);
  assert.deepEqual(rows.map((r) => r.action), [action], `exactly one audit row for ${action}`);
  return rows[0]!;
}

test('every audited action of the portal leaves exactly one row, with user, IP, action, item and description', async () => {
  await exactlyOne('login.failed', () => post('/api/v1/auth/login', { username: 'alice', password: 'wrong-password' }), 401);
  const row = await exactlyOne('login', () => post('/api/v1/auth/login', { username: 'alice', password: 'alice-password' }));
  assert.deepEqual([row.username, row.ip, row.kind, row.item, row.description], ['alice', '127.0.0.1', 'Login', 'User', 'alice logged into system']);

  const alice = await login('alice');
  const admin = await login('admin');
  const search = await exactlyOne('interactions.search', () => get('/api/v1/interactions?limit=1', alice));
  assert.equal(search.description, 'alice accessed Interactions');
  const page1 = (await (await get('/api/v1/interactions?limit=1', alice)).json()) as { nextCursor: string };
  const lastBefore = catalog.audit.lastId();
  assert.equal((await get(`/api/v1/interactions?limit=1&cursor=${page1.nextCursor}`, alice)).status, 200);
  assert.equal(catalog.audit.lastId(), lastBefore, 'the next page of a search is not a new search');

  const view = await exactlyOne('interaction.view', () => get(`/api/v1/interactions/${ids.played}`, alice));
  assert.deepEqual([view.target, view.kind, view.item], [ids.played, 'View', 'Call']);
  const play = await exactlyOne('media.play', () => get(`/api/v1/interactions/${ids.played}/media?format=wav`, alice, { range: 'bytes=0-' }), 206);
  assert.deepEqual([play.kind, play.actionType], ['Play', 'PlayRecording']);
  const dl = await exactlyOne('media.download', () => get(`/api/v1/interactions/${ids.played}/media/download?format=wav`, alice));
  assert.deepEqual([dl.kind, dl.actionType], ['Download', 'DownloadRecording']);

  const on = await exactlyOne('legalhold.on', () => send('PUT', `/api/v1/interactions/${ids.played}/legal-hold`, undefined, admin));
  assert.deepEqual([on.kind, on.item], ['LegalHoldOn', 'Legal Hold']);
  await exactlyOne('legalhold.off', () => send('DELETE', `/api/v1/interactions/${ids.played}/legal-hold`, undefined, admin));
  const del = await exactlyOne('interaction.delete', () =>
    send('DELETE', `/api/v1/interactions/${ids.deleted}`, { mode: 'media', authorizedBy: 'Legal dept', note: 'court order 42' }, admin),
  );
  assert.deepEqual([del.details?.authorizedBy, del.details?.note, del.kind], ['Legal dept', 'court order 42', 'Delete']);
  await exactlyOne('user.create', () => post('/api/v1/users', { username: 'bob', password: 'bob-password-long', role: 'user', extensions: ['300'] }, admin), 201);
  const change = await exactlyOne('config.change', () => send('PUT', '/api/v1/settings/retention', { defaultDays: 90 }, admin));
  assert.deepEqual([change.kind, change.item, change.actionType], ['Modify', 'System Settings', 'UpdateRetention']);
  assert.deepEqual(change.details?.after, { defaultDays: 90 });
  await exactlyOne('audit.search', () => get('/api/v1/audit?limit=1', admin));
  await exactlyOne('audit.export', () => get('/api/v1/audit?format=csv&limit=3', admin));
  await exactlyOne('logout', () => post('/api/v1/auth/logout', undefined, alice), 204);
});

test('audit search over HTTP: filters by name, seed Action and Item, free text; pages; auditors in, users out', async () => {
  assert.equal((await get('/api/v1/audit', await login('alice'))).status, 403);
  assert.equal((await get('/api/v1/audit', await login('sue'))).status, 403);
  const auditor = await login('audrey');
  const byItem = (await (await get('/api/v1/audit?item=Legal%20Hold', auditor)).json()) as { items: Array<{ action: string }>; total: number };
  assert.deepEqual(byItem.items.map((e) => e.action).sort(), ['legalhold.off', 'legalhold.on']);
  assert.equal(byItem.total, 2);
  const named = (await (await get('/api/v1/audit?name=LIC&kind=Login', auditor)).json()) as { items: Array<{ username: string; action: string }> };
  assert.ok(named.items.length >= 2);
  assert.ok(named.items.every((e) => e.username === 'alice' && e.action.startsWith('login')));
  const text = (await (await get('/api/v1/audit?q=court%20order', auditor)).json()) as { items: Array<{ action: string }> };
  assert.deepEqual(text.items.map((e) => e.action), ['interaction.delete']);
  const actions = (await (await get('/api/v1/audit?action=legalhold.*,user.create', auditor)).json()) as { items: Array<{ action: string }> };
  assert.deepEqual(actions.items.map((e) => e.action).sort(), ['legalhold.off', 'legalhold.on', 'user.create']);
  assert.equal((await get('/api/v1/audit?item=Spaceship', auditor)).status, 400);
  const big = await get('/api/v1/audit?limit=5000', auditor);
  assert.equal(big.status, 400);
  assert.match(((await big.json()) as { message: string }).message, /^limit: at most 1000/);
  for (const evil of ["' OR 1=1 --", '%', '_', '"; DROP TABLE audit; --']) {
    const res = await get(`/api/v1/audit?name=${encodeURIComponent(evil)}`, auditor);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { total: number }).total, 0, `name=${evil} matches nothing, literally`);
  }
  assert.equal((await get("/api/v1/audit?action=login'--", auditor)).status, 400);
  const types = (await (await get('/api/v1/audit/types', auditor)).json()) as { kinds: string[]; items: string[] };
  assert.ok(types.kinds.includes('LegalHoldOn') && types.items.includes('Legal Hold') && types.items.includes('Auto Sync with AAD'));

  const seen = new Set<number>();
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res: Response = await get(`/api/v1/audit?limit=4&action=login,login.failed${cursor ? `&cursor=${cursor}` : ''}`, auditor);
    const body = (await res.json()) as { items: Array<{ id: number }>; nextCursor: string | null };
    for (const e of body.items) {
      assert.ok(!seen.has(e.id), 'no row twice');
      seen.add(e.id);
    }
    cursor = body.nextCursor;
    pages++;
  } while (cursor);
  assert.equal(seen.size, catalog.audit.count({ actions: ['login', 'login.failed'] }));
  assert.ok(pages >= 2);
});

/** RFC 4180 records of a CSV text, header rows of different widths included. */
const parseCsv = (text: string): string[][] => parseCsvText(text, { relax_column_count: true, bom: true }) as string[][];

test('CSV export: the exact seed 001 header, UTC dates, safe against formula injection; export permission', async () => {
  for (const evil of ['=HYPERLINK("http://evil.example/x","click")', '+1+cmd|/C calc', '-2+3', '@SUM(A1:A2)']) {
    assert.equal((await post('/api/v1/auth/login', { username: evil, password: 'whatever-password' })).status, 401);
  }
  const res = await get('/api/v1/audit?format=csv', await login('audrey'));
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/csv/);
  const text = await res.text();
  assert.equal(text.split('\n')[0], 'Date,Email,IpAddress,AppName,ActionType,Details');
  const rows = parseCsv(text);
  assert.ok(rows.length > 20);
  for (const r of rows.slice(1)) {
    assert.equal(r.length, 6, `six columns: ${JSON.stringify(r)}`);
    assert.match(r[0]!, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \+0000 UTC$/);
    for (const cell of r) assert.doesNotMatch(cell, /^[=+\-@\t\r]/, `cell starts like a formula: ${cell}`);
  }
  const evilRows = rows.filter((r) => r[4] === 'LoginFailed' && r[1]!.startsWith("'"));
  assert.equal(evilRows.length, 4, 'each injected name is exported, prefixed with a quote');
  assert.ok(evilRows.some((r) => r[1] === `'=HYPERLINK("http://evil.example/x","click")`));
  assert.ok(rows.some((r) => r[1] === 'alice' && r[2] === '127.0.0.1' && r[3] === 'Portal' && r[4] === 'PlayRecording'));
  // Newest first; the export's own audit row came after the snapshot it exports.
  const exported = catalog.audit.search({ limit: 1, actions: ['audit.export'] }).items[0]!;
  assert.equal(exported.username, 'audrey');
  assert.equal(exported.details?.rows, rows.length - 1);
  assert.equal((await get('/api/v1/audit?format=csv', await login('sue'))).status, 403);

  // Selected rows only (seed 000: select rows, then Export).
  const picked = catalog.audit.search({ limit: 2, actions: ['media.play', 'media.download'] }).items;
  const sel = parseCsv(await (await get(`/api/v1/audit?format=csv&ids=${picked.map((p) => p.id).join(',')}`, await login('admin'))).text());
  assert.deepEqual(sel.slice(1).map((r) => r[4]).sort(), ['DownloadRecording', 'PlayRecording']);
});

test('retention settings: validation names the field; a change is live and audited with before/after', async () => {
  const admin = await login('admin');
  assert.equal((await get('/api/v1/settings/retention', await login('audrey'))).status, 403);
  for (const [body, field] of [
    [{ defaultDays: -1 }, /defaultDays/],
    [{ purgeIntervalMinutes: 61 }, /purgeIntervalMinutes/],
    [{ purgeIntervalMinutes: 'soon' }, /purgeIntervalMinutes/],
    [{}, /must NOT have fewer than 1 properties/],
  ] as const) {
    const res = await send('PUT', '/api/v1/settings/retention', body, admin);
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.match(((await res.json()) as { message: string }).message, field);
  }
  const res = await send('PUT', '/api/v1/settings/retention', { defaultDays: 30, purgeIntervalMinutes: 15 }, admin);
  assert.equal(res.status, 200);
  const body = (await res.json()) as { item: { defaultDays: number; purgeIntervalMinutes: number; overridden: boolean }; restartRequired: boolean };
  assert.deepEqual(body.item, { defaultDays: 30, purgeIntervalMinutes: 15, overridden: true });
  assert.equal(body.restartRequired, false);
  const row = catalog.audit.search({ limit: 1, actions: ['config.change'] }).items[0]!;
  assert.deepEqual(row.details?.before, { defaultDays: 90 });
  assert.deepEqual(row.details?.after, { defaultDays: 30, purgeIntervalMinutes: 15 });
  // What the recorder asks for each new call.
  const { currentRetentionDays } = await import('../../config/overrides.js');
  assert.equal(currentRetentionDays(buildConfig({}, 'x'), catalog.settings), 30);
});

test('SNMP destinations: CRUD with v2c and v3, errors name the field, secrets masked, changes audited', async () => {
  const admin = await login('admin');
  const list = async () => ((await (await get('/api/v1/snmp/destinations', admin)).json()) as { items: Array<Record<string, unknown>> }).items;
  const initial = await list();
  assert.deepEqual(initial, [{ id: 'config-0', host: '192.0.2.10', port: 162, version: 'v2c', community: '********' }]);

  for (const [body, message] of [
    [{ host: '192.0.2.20', version: 'v2c' }, /community: required for version v2c/],
    [{ host: '192.0.2.20', version: 'v3' }, /user: required for version v3/],
    [{ host: '192.0.2.20', version: 'v3', user: { name: 'noc', privKey: 'privpass123' } }, /user\.authKey: privacy \(privKey\) needs authentication/],
    [{ host: '192.0.2.20', version: 'v2c', community: 'x', user: { name: 'noc' } }, /user: only for version v3/],
    [{ host: '192.0.2.20', port: 70000, community: 'x' }, /port must be <= 65535/],
    [{ host: '', community: 'x' }, /host must NOT have fewer than 1 characters/],
    [{ host: '192.0.2.20', version: 'v1', community: 'x' }, /version must be equal to one of the allowed values/],
  ] as const) {
    const res = await post('/api/v1/snmp/destinations', body, admin);
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.match(((await res.json()) as { message: string }).message, message);
  }
  const v3 = await post('/api/v1/snmp/destinations', { host: '192.0.2.30', port: 1162, version: 'v3', user: { name: 'noc', authProtocol: 'sha', authKey: 'authpass123', privProtocol: 'aes', privKey: 'privpass123' } }, admin);
  assert.equal(v3.status, 201);
  const created = ((await v3.json()) as { item: { id: string; user: Record<string, string> }; restartRequired: boolean });
  assert.equal(created.restartRequired, false);
  assert.deepEqual(created.item.user, { name: 'noc', authProtocol: 'sha', authKey: '********', privProtocol: 'aes', privKey: '********' });
  assert.equal((await list()).length, 2);

  // Sending the masked secrets back keeps them; the stored list has the real ones.
  const upd = await send('PUT', `/api/v1/snmp/destinations/${created.item.id}`, { host: '192.0.2.31', port: 1162, version: 'v3', user: { ...created.item.user } }, admin);
  assert.equal(upd.status, 200);
  const stored = catalog.settings.get<Array<{ id: string; host: string; user?: { authKey?: string; privKey?: string } }>>('snmp.traps')!;
  const mine = stored.find((d) => d.id === created.item.id)!;
  assert.deepEqual([mine.host, mine.user?.authKey, mine.user?.privKey], ['192.0.2.31', 'authpass123', 'privpass123']);
  assert.equal(stored.find((d) => d.id === 'config-0')!.host, '192.0.2.10', 'the file\'s destination was carried over');

  assert.equal((await send('DELETE', '/api/v1/snmp/destinations/config-0', undefined, admin)).status, 200);
  assert.equal((await send('DELETE', '/api/v1/snmp/destinations/config-0', undefined, admin)).status, 404);
  assert.deepEqual((await list()).map((d) => d.host), ['192.0.2.31']);

  const rows = catalog.audit.search({ limit: 10, actions: ['config.change'], item: 'SNMP' }).items;
  assert.deepEqual(rows.map((r) => r.kind), ['Delete', 'Modify', 'Add']);
  for (const r of rows) {
    const text = JSON.stringify(r);
    for (const secret of ['authpass123', 'privpass123', 'noc-secret']) assert.ok(!text.includes(secret), `no secret in the audit row: ${secret}`);
  }
});

test('storage targets: list with state and consumption, CRUD validated, "Test connection" against a real s3rver, activation rules', async () => {
  const admin = await login('admin');
  const list = async () => ((await (await get('/api/v1/storage/targets', admin)).json()) as { items: Array<Record<string, unknown>> }).items;
  const [local] = await list();
  assert.equal(local!.name, 'Local');
  assert.equal(local!.active, true);
  assert.equal(local!.state, 'Connected');
  assert.equal(local!.files, 1, 'the deleted call\'s media left the target; the played one is there');
  assert.equal(local!.consumedBytes, 4044);
  const source = 'sipvault/Local-SystemConfiguration';
  catalog.alarms.raise({ name: 'ConnectionFailed', oid: '1.3.6.1.4.1.5003.9.40.3.2.0.101', source, severity: 'critical', text: 'Connection To Storage Local Lost' });
  assert.equal((await list())[0]!.state, 'Disconnected', 'the active target while its ConnectionFailed alarm is raised');
  catalog.alarms.clear('ConnectionFailed', source);
  assert.equal((await list())[0]!.state, 'Connected');

  const s3target = { type: 's3', name: 'Bucket', endPoint: '127.0.0.1', port: s3.port, useSSL: false, accessKey: S3RVER_KEY, secretKey: S3RVER_KEY, bucket: 'recordings' };
  for (const [body, message] of [
    [{ ...s3target, bucket: 'ab' }, /bucket: must NOT have fewer than 3 characters/],
    [{ ...s3target, port: 0 }, /port: must be >= 1/],
    [{ ...s3target, region: 'eu' }, /region: unknown key/],
    [{ type: 's3', name: 'Half' }, /must have required property/],
    [{ type: 'nfs', name: 'N' }, /type must be equal to one of the allowed values/],
  ] as const) {
    const res = await post('/api/v1/storage/targets', body, admin);
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.match(((await res.json()) as { message: string }).message, message);
  }
  const created = await post('/api/v1/storage/targets', s3target, admin);
  assert.equal(created.status, 201);
  const answer = (await created.json()) as { item: { settings: { secretKey: string }; active: boolean; state: string }; restartRequired: boolean };
  assert.deepEqual([answer.item.settings.secretKey, answer.item.active, answer.item.state, answer.restartRequired], ['********', false, 'Unknown', false]);
  assert.equal((await post('/api/v1/storage/targets', s3target, admin)).status, 409);

  const ok = (await (await post('/api/v1/storage/targets/Bucket/test', undefined, admin)).json()) as { ok: boolean; message: string };
  assert.equal(ok.ok, true, ok.message);
  assert.equal((await list()).find((t) => t.name === 'Bucket')!.state, 'Connected');
  await s3.kill();
  const failed = (await (await post('/api/v1/storage/targets/Bucket/test', undefined, admin)).json()) as { ok: boolean; message: string };
  assert.equal(failed.ok, false);
  assert.match(failed.message, /ECONNREFUSED|unreachable|connect/i);
  assert.equal((await list()).find((t) => t.name === 'Bucket')!.state, 'Error');
  await s3.resume();
  const tests = catalog.audit.search({ limit: 5, actions: ['storage.test', 'storage.test.failed'] }).items;
  assert.deepEqual(tests.map((t) => t.action), ['storage.test.failed', 'storage.test']);

  // Secrets sent back masked are kept; the non-active target's change needs no restart.
  const upd = await send('PUT', '/api/v1/storage/targets/Bucket', { ...s3target, secretKey: '********', bucket: 'recordings2' }, admin);
  assert.equal(upd.status, 200);
  assert.equal(((await upd.json()) as { restartRequired: boolean }).restartRequired, false);
  const stored = catalog.settings.get<Array<{ name: string; secretKey?: string; bucket?: string }>>('storage.targets')!;
  assert.deepEqual(stored.map((t) => [t.name, t.secretKey, t.bucket]), [['Local', undefined, undefined], ['Bucket', S3RVER_KEY, 'recordings2']]);
  // The active target's change applies on restart, and says so.
  const local2 = await send('PUT', '/api/v1/storage/targets/Local', { type: 'local', path: join(dir, 'media') }, admin);
  assert.equal(local2.status, 200);
  assert.equal(((await local2.json()) as { restartRequired: boolean }).restartRequired, true);
  // Recordings are in Local: switching would strand them.
  const act = await post('/api/v1/storage/targets/Bucket/activate', undefined, admin);
  assert.equal(act.status, 409);
  assert.match(((await act.json()) as { message: string }).message, /holds 1 recording files/);
  assert.equal((await send('DELETE', '/api/v1/storage/targets/Local', undefined, admin)).status, 409);
  assert.equal((await send('DELETE', '/api/v1/storage/targets/Bucket', undefined, admin)).status, 200);
  assert.deepEqual((await list()).map((t) => t.name), ['Local']);

  const changes = catalog.audit.search({ limit: 10, actions: ['config.change'], item: 'Storage' }).items;
  assert.deepEqual(changes.map((c) => c.actionType), ['DeleteStorageTarget', 'UpdateStorageTarget', 'UpdateStorageTarget', 'CreateStorageTarget']);
  for (const c of changes) assert.ok(!JSON.stringify(c.details).includes(`"secretKey":"${S3RVER_KEY}"`), 'secretKey masked in the audit row');
  assert.ok(changes.some((c) => JSON.stringify(c.details).includes('"secretKey":"********"')));
});

test('System Activity Log: configuration changes, storage tests and alarms with seed log and activity types', async () => {
  const sue = await login('sue');
  catalog.alarms.raise({ name: 'ConnectionFailed', oid: '1.3.6.1.4.1.5003.9.40.3.2.0.101', source: 'sipvault/Bucket-SystemConfiguration', severity: 'critical', text: 'Connection To Storage Bucket Lost' });
  catalog.alarms.clear('ConnectionFailed', 'sipvault/Bucket-SystemConfiguration');
  const all = (await (await get('/api/v1/activity?limit=100', sue)).json()) as { items: Array<{ logType: string; activityType: string; description: string }>; total: number };
  const has = (logType: string, activityType: string, text: RegExp) => all.items.some((e) => e.logType === logType && e.activityType === activityType && text.test(e.description));
  assert.ok(has('Info', 'Configuration', /admin modified retention settings/));
  assert.ok(has('Info', 'Storage', /tested storage Bucket: connected/));
  assert.ok(has('error', 'Storage', /tested storage Bucket: /));
  assert.ok(has('alarm', 'Storage', /^Connection To Storage Bucket Lost$/));
  assert.ok(has('alarm Clear', 'Storage', /^Cleared: Connection To Storage Bucket Lost$/));
  assert.ok(!all.items.some((e) => /logged into system/.test(e.description)), 'user activity stays in the audit trail');
  const errorsOnly = (await (await get('/api/v1/activity?logType=error', sue)).json()) as { items: Array<{ logType: string }>; total: number };
  assert.ok(errorsOnly.total >= 1 && errorsOnly.items.every((e) => e.logType === 'error'));
  assert.equal((await get('/api/v1/activity?logType=Fatal', sue)).status, 400);
  const types = (await (await get('/api/v1/activity/types', sue)).json()) as { logTypes: string[] };
  assert.deepEqual(types.logTypes, ['Info', 'alarm', 'alarm Clear', 'warning', 'warning Clear', 'error', 'errorClear']);
  assert.equal((await get('/api/v1/activity', await login('alice'))).status, 403);
});

test('the new routes are in the OpenAPI document', async () => {
  const spec = (await (await get('/api/docs/json')).json()) as { paths: Record<string, unknown> };
  for (const p of ['/api/v1/audit/verify', '/api/v1/activity', '/api/v1/activity/types', '/api/v1/settings/retention', '/api/v1/storage/targets', '/api/v1/storage/targets/{name}', '/api/v1/storage/targets/{name}/test', '/api/v1/storage/targets/{name}/activate', '/api/v1/snmp/destinations', '/api/v1/snmp/destinations/{id}']) {
    assert.ok(spec.paths[p], `documented: ${p}`);
  }
});

test('verify: ok on the untouched trail; a row edited behind the catalog\'s back is named', async () => {
  const auditor = await login('audrey');
  const good = (await (await get('/api/v1/audit/verify', auditor)).json()) as { ok: boolean; rows: number; lastId: number };
  assert.equal(good.ok, true);
  assert.ok(good.rows > 30);

  const victim = catalog.audit.search({ limit: 1, actions: ['interaction.delete'] }).items[0]!;
  const db = new BetterSqlite3(join(dir, CATALOG_FILE));
  try {
    assert.throws(() => db.prepare(`UPDATE audit SET details = '{}' WHERE id = ?`).run(victim.id), /append-only/);
    db.exec('DROP TRIGGER audit_append_only_update');
    db.prepare(`UPDATE audit SET details = json_set(details, '$.authorizedBy', 'nobody') WHERE id = ?`).run(victim.id);
  } finally {
    db.close();
  }
  const bad = (await (await get('/api/v1/audit/verify', auditor)).json()) as { ok: boolean; lastId: number; firstBroken: { id: number; reason: string } };
  assert.equal(bad.ok, false);
  assert.deepEqual(bad.firstBroken && [bad.firstBroken.id, bad.firstBroken.reason], [victim.id, 'hash']);
  assert.equal(bad.lastId, victim.id - 1);
  const logged = catalog.audit.search({ limit: 1, actions: ['audit.verify'] }).items[0]!;
  assert.deepEqual([logged.details?.ok, logged.details?.firstBroken], [false, victim.id]);
});
