import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildConfig, ConfigError } from '../../config/loader.js';
import type { Catalog } from '../../storage/catalog/index.js';
import { mediaKey } from '../../storage/media/media-target.js';
import { addUsers, closePortal, listenPortal, localPortalFixture, recordCall } from '../support/portal-harness.js';

let dir: string;
let mediaDir: string;
let catalog: Catalog;
let app: FastifyInstance;
let base: string;
const ids = { alice: '', bob: '', sue: '', orphan: '' };
const userIds: Record<string, number> = {};

function record(calling: string, called: string, start: string): string {
  return recordCall(catalog, mediaDir, { calling, called, start: new Date(start), callId: `${calling}-${called}@src` });
}

before(async () => {
  const fixture = localPortalFixture('portal-retention');
  ({ dir, mediaDir, catalog } = fixture);
  const config = fixture.config;
  Object.assign(
    userIds,
    addUsers(catalog, [
      ['admin', 'admin', []],
      ['alice', 'user', ['100']],
      ['bob', 'user', ['200']],
      ['sue', 'supervisor', ['300']],
    ]),
  );
  ids.alice = record('100', '5551000', '2026-11-24T09:00:00Z');
  ids.bob = record('5552000', '200', '2026-11-24T09:10:00Z');
  ids.sue = record('300', '5553000', '2026-11-24T09:20:00Z');
  ids.orphan = record('777', '888', '2026-11-24T09:30:00Z');
  ({ app, base } = await listenPortal(config, catalog));
});

after(() => closePortal(app, catalog, dir));

interface Session {
  cookie: string;
  csrf: string;
}
const sessions = new Map<string, Session>();

async function as(username: string): Promise<Session> {
  const known = sessions.get(username);
  if (known) return known;
  const res = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: `${username}-password` }),
  });
  assert.equal(res.status, 200);
  const s = { cookie: res.headers.getSetCookie()[0]!.split(';')[0]!, csrf: ((await res.json()) as { csrfToken: string }).csrfToken };
  sessions.set(username, s);
  return s;
}

async function call(method: string, path: string, who: string, body?: unknown): Promise<{ status: number; json: any }> {
  const s = await as(who);
  const headers: Record<string, string> = { cookie: s.cookie, 'x-csrf-token': s.csrf };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}/api/v1${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  return { status: res.status, json: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
}

const listIds = async (who: string, query = '') => ((await call('GET', `/interactions?limit=50${query}`, who)).json.items as Array<{ id: string }>).map((i) => i.id);

test('RBAC: users and supervisors see their own calls only; unassigned calls are for administrators', async () => {
  assert.deepEqual(await listIds('alice'), [ids.alice]);
  assert.deepEqual(await listIds('sue'), [ids.sue]);
  assert.deepEqual((await listIds('admin')).sort(), Object.values(ids).sort());
  assert.deepEqual(await listIds('admin', '&unassigned=true'), [ids.orphan]);
  assert.deepEqual(await listIds('sue', '&unassigned=true'), []);
  for (const [who, other] of [
    ['alice', ids.bob],
    ['alice', ids.orphan],
    ['sue', ids.alice],
    ['sue', ids.orphan],
    ['bob', ids.sue],
  ] as const) {
    assert.equal((await call('GET', `/interactions/${other}`, who)).status, 404, `${who} cannot read ${other}`);
    assert.equal((await call('GET', `/interactions/${other}/media?format=wav`, who)).status, 404, `${who} cannot play ${other}`);
  }
  const own = await call('GET', `/interactions/${ids.bob}`, 'bob');
  assert.equal(own.status, 200);
  assert.equal(own.json.direction, 'Incoming', 'bob is the called party');
  assert.deepEqual(own.json.targets, [{ userId: userIds.bob, username: 'bob', direction: 'Incoming', legalHold: false }]);
  assert.equal(own.json.expiresAt, '2027-11-24T09:10:00.000Z', 'start + 365 days');
});

test('GET /interactions?q= searches parties within the caller scope', async () => {
  assert.deepEqual(await listIds('admin', '&q=5552*'), [ids.bob]);
  assert.deepEqual(await listIds('alice', '&q=5552*'), []);
  const bad = await call('GET', '/interactions?q=%22%20*', 'admin');
  assert.equal(bad.status, 400);
  assert.match(bad.json.message, /q has no word/);
});

test('legal hold and deletion routes are for administrators only', async () => {
  for (const who of ['alice', 'sue']) {
    assert.equal((await call('PUT', `/interactions/${ids.alice}/legal-hold`, who)).status, 403);
    assert.equal((await call('PUT', `/users/${userIds.alice}/legal-hold`, who)).status, 403);
    assert.equal((await call('DELETE', `/interactions/${ids.alice}`, who, { mode: 'media', authorizedBy: 'x', note: 'y' })).status, 403);
  }
});

test('a held recording cannot be deleted; released, it can, with Authorized By and a note, audited', async () => {
  const put = await call('PUT', `/interactions/${ids.orphan}/legal-hold`, 'admin');
  assert.equal(put.status, 200);
  assert.equal(put.json.legalHold, true);
  assert.equal(put.json.message, 'The recording has been successfully placed in legal hold.');
  const onHold = catalog.audit.list({ limit: 20 }).find((e) => e.action === 'legalhold.on' && e.target === ids.orphan);
  assert.equal(onHold?.details?.item, 'Legal Hold');

  const body = { mode: 'metadataAndMedia', authorizedBy: 'GlobalAdmin', note: 'Purging call data' };
  const refused = await call('DELETE', `/interactions/${ids.orphan}`, 'admin', body);
  assert.equal(refused.status, 409);
  assert.match(refused.json.message, /legal hold/);
  assert.ok(catalog.audit.list({ limit: 20 }).some((e) => e.action === 'interaction.delete.refused' && e.target === ids.orphan));
  const file = join(mediaDir, mediaKey(new Date('2026-11-24T09:30:00Z'), ids.orphan, 'wav'));
  assert.ok(existsSync(file));

  assert.equal((await call('DELETE', `/interactions/${ids.orphan}/legal-hold`, 'admin')).json.legalHold, false);
  const missing = await call('DELETE', `/interactions/${ids.orphan}`, 'admin', { mode: 'media', note: 'x' });
  assert.equal(missing.status, 400);
  assert.match(missing.json.message, /authorizedBy/);

  const done = await call('DELETE', `/interactions/${ids.orphan}`, 'admin', body);
  assert.equal(done.status, 200);
  assert.equal(done.json.status, 'deleted');
  assert.equal(done.json.deletedReason, 'manual');
  assert.equal(done.json.callingParty, null);
  assert.ok(!existsSync(file), 'the media left the target');
  const entry = catalog.audit.list({ limit: 20 }).find((e) => e.action === 'interaction.delete' && e.target === ids.orphan);
  assert.deepEqual([entry?.details?.authorizedBy, entry?.details?.note, entry?.details?.mode], ['GlobalAdmin', 'Purging call data', 'metadataAndMedia']);
});

test('a user on legal hold: all their calls are held and cannot be deleted until release', async () => {
  const put = await call('PUT', `/users/${userIds.bob}/legal-hold`, 'admin');
  assert.equal(put.status, 200);
  assert.equal(put.json.message, 'The user has been successfully placed in legal hold.');
  const users = (await call('GET', '/users', 'admin')).json.items as Array<{ username: string; legalHoldSince: string | null }>;
  assert.ok(users.find((u) => u.username === 'bob')!.legalHoldSince);
  assert.equal((await call('GET', `/interactions/${ids.bob}`, 'bob')).json.legalHold, true);
  const refused = await call('DELETE', `/interactions/${ids.bob}`, 'admin', { mode: 'media', authorizedBy: 'GlobalAdmin', note: 'n' });
  assert.equal(refused.status, 409);
  const off = await call('DELETE', `/users/${userIds.bob}/legal-hold`, 'admin');
  assert.equal(off.json.message, 'The user has been successfully removed from legal hold.');
  assert.equal((await call('GET', `/interactions/${ids.bob}`, 'bob')).json.legalHold, false);
  const audits = catalog.audit.list({ limit: 50 }).filter((e) => e.target === 'bob' && e.action.startsWith('legalhold.'));
  assert.deepEqual(audits.map((e) => [e.action, e.details?.item]), [['legalhold.off', 'Legal Hold'], ['legalhold.on', 'Legal Hold']]);
  assert.equal((await call('PUT', '/users/9999/legal-hold', 'admin')).status, 404);
});

test('a user created through the API gets the calls already recorded for its extension', async () => {
  const earlier = record('5554000', '400', '2026-11-24T08:00:00Z');
  const res = await call('POST', '/users', 'admin', { username: 'dana', password: 'dana-first-password', role: 'user', extensions: ['400'] });
  assert.equal(res.status, 201);
  // An account an administrator made changes its password at the first login.
  const first = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'dana', password: 'dana-first-password' }),
  });
  const headers = { cookie: first.headers.getSetCookie()[0]!.split(';')[0]!, 'x-csrf-token': ((await first.json()) as { csrfToken: string }).csrfToken };
  const changed = await fetch(`${base}/api/v1/auth/password`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({ currentPassword: 'dana-first-password', newPassword: 'dana-password' }),
  });
  assert.equal(changed.status, 200);
  assert.deepEqual(await listIds('dana'), [earlier]);
});

test('retention.defaultDays: 365 by default, null or 0 keep forever, bad values name the key', () => {
  assert.equal(buildConfig({}, 'test').retention.defaultDays, 365);
  assert.equal(buildConfig({ retention: { defaultDays: null } }, 'test').retention.defaultDays, null);
  assert.equal(buildConfig({ retention: { defaultDays: 0 } }, 'test').retention.defaultDays, 0);
  for (const bad of [-1, 1.5, 'forever']) {
    assert.throws(() => buildConfig({ retention: { defaultDays: bad } }, 'test'), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /retention\.defaultDays/);
      return true;
    });
  }
  assert.throws(() => buildConfig({ retention: { purgeIntervalMinutes: 120 } }, 'test'), /retention\.purgeIntervalMinutes/);
  assert.throws(() => buildConfig({ retention: { days: 30 } }, 'test'), /retention/);
});
