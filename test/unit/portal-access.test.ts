import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { createLogger } from '../../config/logger.js';
import type { Catalog } from '../../storage/catalog/index.js';
import { buildPortal } from '../../portal/server.js';
import { addUsers, closePortal, localPortalFixture, recordCall } from '../support/portal-harness.js';

// Access control end to end: a real catalog on a temp dir, the real portal (inject), calls
// created as the recorder creates them and linked by the catalog's own user-links logic.

let dir: string;
let mediaDir: string;
let catalog: Catalog;
let app: FastifyInstance;
const uid: Record<string, number> = {};
const cid: Record<string, string> = {};
const callIdOf: Record<string, string> = {};
const group: Record<string, number> = {};
let minute = 0;

function record(name: string, calling: string, called: string, active = false): string {
  const start = new Date(Date.parse('2026-11-20T08:00:00Z') + minute++ * 60_000);
  const callId = `${name}-${calling}-${called}@src`;
  const id = recordCall(catalog, mediaDir, { calling, called, start, callId, sessionId: `sess-${name}`, active, content: `RIFF-${name}` });
  cid[name] = id;
  callIdOf[name] = callId;
  return id;
}

before(async () => {
  const fixture = localPortalFixture('portal-access');
  ({ dir, mediaDir, catalog } = fixture);
  const config = fixture.config;
  Object.assign(
    uid,
    addUsers(catalog, [
      ['root', 'sysadmin', []],
      ['admin', 'admin', []],
      ['sue', 'supervisor', ['300']],
      ['sam', 'supervisor', ['400']],
      ['alice', 'user', ['100']],
      ['bob', 'user', ['200']],
      ['carol', 'user', ['500']],
      ['dave', 'user', ['600']],
      ['audrey', 'auditor', []],
    ]),
  );
  group.sales = catalog.groups.create({ name: 'Sales', members: [uid.alice!, uid.bob!], managers: [uid.sue!] }).id;
  group.support = catalog.groups.create({ name: 'Support', members: [uid.carol!], managers: [uid.sam!] }).id;
  record('alice', '100', '5551000');
  record('bob', '5552000', '200');
  record('aliceBob', '100', '200');
  record('sue', '300', '5553000');
  record('carol', '500', '5554000');
  record('dave', '600', '5555000');
  record('orphan', '777', '888');
  record('carolLive', '500', '5557000', true);
  app = await buildPortal({ config, catalog, logger: createLogger('silent') });
});

after(() => closePortal(app, catalog, dir));

interface Session {
  cookie: string;
  csrf: string;
}
const sessions = new Map<string, Session>();

async function login(username: string, password = `${username}-password`): Promise<{ status: number; session?: Session }> {
  let res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } });
  if (res.statusCode !== 200) return { status: res.statusCode };
  if ((res.json() as { pending: string | null }).pending === 'password-change') {
    // Accounts an administrator created must choose their own password first (tested in
    // portal-sign-in); here the user has done so, keeping the fixture's password.
    catalog.users.setPassword(username, password);
    res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password } });
  }
  const cookie = String(res.headers['set-cookie']).split(';')[0]!;
  return { status: 200, session: { cookie, csrf: (res.json() as { csrfToken: string }).csrfToken } };
}

async function as(username: string): Promise<Session> {
  let s = sessions.get(username);
  if (!s) {
    const r = await login(username);
    assert.equal(r.status, 200, `${username} logs in`);
    s = r.session!;
    sessions.set(username, s);
  }
  return s;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function call(method: string, path: string, who: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any }> {
  const s = await as(who);
  const res = await app.inject({
    method: method as 'GET',
    url: `/api/v1${path}`,
    headers: { cookie: s.cookie, 'x-csrf-token': s.csrf, ...headers },
    ...(body !== undefined ? { payload: body as object } : {}),
  });
  const type = String(res.headers['content-type'] ?? '');
  return { status: res.statusCode, json: type.includes('json') ? res.json() : res.body };
}

const names = (ids: string[]) => ids.map((id) => Object.keys(cid).find((k) => cid[k] === id) ?? id).sort();

/** Every interaction the user can list, page by page (limit 2, following nextCursor). */
async function visible(who: string, query = ''): Promise<string[]> {
  const out: string[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 50; i++) {
    const res = await call('GET', `/interactions?limit=2${query}${cursor ? `&cursor=${cursor}` : ''}`, who);
    assert.equal(res.status, 200, `${who} lists interactions: ${JSON.stringify(res.json)}`);
    out.push(...(res.json.items as Array<{ id: string }>).map((it) => it.id));
    cursor = res.json.nextCursor;
    if (!cursor) break;
  }
  return names(out);
}

const ALL = ['alice', 'aliceBob', 'bob', 'carol', 'carolLive', 'dave', 'orphan', 'sue'];

/** The caller cannot reach the call, its media, speech or metadata: 404 (or 403 without call access). */
async function assertUnreachable(who: string, name: string, expected: 403 | 404 = 404): Promise<void> {
  const id = cid[name]!;
  for (const [path, headers] of [
    [`/interactions/${id}`, {}],
    [`/interactions/${id}/media?format=wav`, { range: 'bytes=0-' }],
    [`/interactions/${id}/media?format=wav`, {}],
    [`/interactions/${id}/speech`, {}],
    [`/interactions/${id}/metadata`, {}],
  ] as const) {
    const res = await call('GET', path, who, undefined, headers);
    assert.equal(res.status, expected, `${who} GET ${path} ${JSON.stringify(headers)} of ${name}: ${res.status}`);
  }
}

async function assertReachable(who: string, name: string): Promise<void> {
  const id = cid[name]!;
  assert.equal((await call('GET', `/interactions/${id}`, who)).status, 200, `${who} reads ${name}`);
  assert.equal((await call('GET', `/interactions/${id}/speech`, who)).status, 200, `${who} reads the speech of ${name}`);
  assert.equal((await call('GET', `/interactions/${id}/metadata`, who)).status, 200, `${who} reads the metadata of ${name}`);
  if (name !== 'carolLive') {
    const media = await call('GET', `/interactions/${id}/media?format=wav`, who, undefined, { range: 'bytes=0-' });
    assert.equal(media.status, 206, `${who} plays ${name}`);
    assert.equal(media.json, `RIFF-${name}`);
  }
}

async function patchProfile(id: number, body: unknown): Promise<void> {
  const res = await call('PATCH', `/access-profiles/${id}`, 'root', body);
  assert.equal(res.status, 200, JSON.stringify(res.json));
}

async function createProfile(body: { name: string; callScope: string; permissions: string[]; groups?: number[] }): Promise<number> {
  const res = await call('POST', '/access-profiles', 'root', body);
  assert.equal(res.status, 201, JSON.stringify(res.json));
  return res.json.id as number;
}

async function setProfile(user: string, accessProfileId: number | null): Promise<void> {
  const res = await call('PATCH', `/users/${uid[user]}`, 'root', { accessProfileId });
  assert.equal(res.status, 200, JSON.stringify(res.json));
}

const profileId = (name: string) => catalog.accessProfiles.list().find((p) => p.name === name)!.id;

test('seeded default profiles: one per role with the seed names, scopes and permissions', async () => {
  const res = await call('GET', '/access-profiles', 'admin');
  assert.equal(res.status, 200);
  const byName = new Map((res.json.items as Array<{ name: string; callScope: string; callScopeName: string; defaultForRole: string; permissions: string[]; userCount: number }>).map((p) => [p.name, p]));
  assert.deepEqual([...byName.keys()].sort(), ['Administrator', 'Auditor', 'Supervisor', 'System Administrator', 'User/Agent']);
  assert.equal(byName.get('User/Agent')!.callScopeName, "Access User's Own Calls");
  assert.equal(byName.get('Supervisor')!.callScopeName, "Access User's Own and Group Calls");
  assert.equal(byName.get('Administrator')!.callScopeName, 'Access All Calls');
  assert.equal(byName.get('Auditor')!.callScopeName, 'No Call Access');
  assert.deepEqual(byName.get('Auditor')!.permissions, ['audit:export', 'audit:read']);
  assert.equal(byName.get('User/Agent')!.userCount, 4, 'alice, bob, carol, dave');
  const catalogOfPermissions = await call('GET', '/access-profiles/permissions', 'alice');
  const keys = (catalogOfPermissions.json.permissions as Array<{ key: string; name: string }>).map((p) => p.name);
  for (const seedName of [
    'Play Media Related to a Call', 'Download Media Related to a Call', 'Tag Calls', 'Add Notes', 'Delete Notes of Other Users',
    'Delete Calls', 'Create and Modify Recording Profiles', 'Create and Modify Access Profiles', 'Create and Modify Tags',
    'Configure System', 'Audit Trail Access', 'Audit Trail Export',
  ]) assert.ok(keys.includes(seedName), seedName);
  assert.deepEqual((catalogOfPermissions.json.roles as Array<{ name: string }>).map((r) => r.name),
    ['System Administrator', 'Administrator', 'Supervisor', 'User/Agent', 'Auditor']);
  const me = await call('GET', '/me/access', 'sue');
  assert.equal(me.json.roleName, 'Supervisor');
  assert.equal(me.json.callScopeName, "Access User's Own and Group Calls");
  assert.ok(me.json.permissions.includes('media:play') && !me.json.permissions.includes('users:write'));
});

test('each call scope sees exactly its calls, through every page, and nothing else by id, media, speech or metadata', async () => {
  const expected: Record<string, string[]> = {
    root: ALL,
    admin: ALL,
    alice: ['alice', 'aliceBob'],
    bob: ['aliceBob', 'bob'],
    dave: ['dave'],
    // Supervisors: their own calls and those of the members of the groups they manage.
    sue: ['alice', 'aliceBob', 'bob', 'sue'],
    sam: ['carol', 'carolLive'],
  };
  for (const [who, calls] of Object.entries(expected)) {
    assert.deepEqual(await visible(who), calls, `${who} lists exactly these`);
    for (const name of ALL) {
      if (calls.includes(name)) await assertReachable(who, name);
      else await assertUnreachable(who, name);
    }
  }
  // Active calls follow the same scope.
  const active = async (who: string) => names(((await call('GET', '/calls/active', who)).json.items as Array<{ id: string }>).map((i) => i.id));
  assert.deepEqual(await active('sam'), ['carolLive']);
  assert.deepEqual(await active('carol'), ['carolLive']);
  assert.deepEqual(await active('sue'), []);
  assert.deepEqual(await active('admin'), ['carolLive']);

  // "No Call Access": the Auditor's default profile. 403 for every call route, its own or not.
  assert.equal((await call('GET', '/interactions', 'audrey')).status, 403);
  assert.equal((await call('GET', '/calls/active', 'audrey')).status, 403);
  for (const name of ALL) await assertUnreachable('audrey', name, 403);

  // "Access All Calls" for a User/Agent: every assigned call, never an unassigned one.
  const everyone = await createProfile({ name: 'Everyone', callScope: 'all', permissions: ['media:play', 'media:download'] });
  await setProfile('dave', everyone);
  assert.deepEqual(await visible('dave'), ALL.filter((n) => n !== 'orphan'));
  await assertUnreachable('dave', 'orphan');
  assert.deepEqual(await visible('dave', '&unassigned=true'), []);
  assert.deepEqual(await visible('admin', '&unassigned=true'), ['orphan'], 'administrators with all calls see unassigned ones');

  // "No Call Access" on a User/Agent: even its own call is out of reach.
  const nobody = await createProfile({ name: 'Nobody', callScope: 'none', permissions: ['media:play', 'media:download', 'notes:add'] });
  await setProfile('dave', nobody);
  await assertUnreachable('dave', 'dave', 403);
  await setProfile('dave', null);
  assert.deepEqual(await visible('dave'), ['dave'], 'back to the role default profile');
});

test('no enumeration through filters or a cursor taken from a wider scope', async () => {
  assert.deepEqual(await visible('alice', '&party=5552000'), []);
  assert.deepEqual(await visible('alice', '&party=200'), ['aliceBob']);
  assert.deepEqual(await visible('alice', '&party=*000'), ['alice']);
  assert.deepEqual(await visible('alice', `&user=${uid.carol}`), []);
  assert.deepEqual(await visible('alice', `&user=${uid.bob}`), ['aliceBob'], 'the user filter narrows, never widens');
  assert.deepEqual(await visible('alice', `&callId=${encodeURIComponent(callIdOf.carol!)}`), []);
  assert.deepEqual(await visible('alice', `&correlationId=sess-carol`), []);
  assert.deepEqual(await visible('alice', '&q=5554000'), []);
  assert.deepEqual(await visible('alice', '&unassigned=true'), []);
  assert.deepEqual(await visible('sue', `&user=${uid.carol}`), []);
  assert.deepEqual(await visible('sue', '&party=500'), []);
  assert.deepEqual(await visible('sam', '&party=100'), []);
  // A cursor from the administrator's listing (positioned among other users' calls) pages only
  // through the caller's own scope.
  const first = await call('GET', '/interactions?limit=1', 'admin');
  const cursor = first.json.nextCursor as string;
  assert.ok(cursor);
  const paged = await call('GET', `/interactions?limit=50&cursor=${cursor}`, 'alice');
  assert.equal(paged.status, 200);
  assert.ok(names((paged.json.items as Array<{ id: string }>).map((i) => i.id)).every((n) => ['alice', 'aliceBob'].includes(n)));
});

test('supervisors: managed groups and profile groups decide what they see, changed through the API', async () => {
  // Dave joins Sales: sue sees his calls on the next request.
  const join = await call('PATCH', `/groups/${group.sales}`, 'admin', { members: [uid.alice, uid.bob, uid.dave] });
  assert.equal(join.status, 200, JSON.stringify(join.json));
  assert.deepEqual(await visible('sue'), ['alice', 'aliceBob', 'bob', 'dave', 'sue']);
  // Sue no longer manages Sales (a member is not a manager): only her own calls remain.
  const drop = await call('PATCH', `/groups/${group.sales}`, 'admin', { managers: [], members: [uid.alice, uid.bob, uid.dave, uid.sue] });
  assert.equal(drop.status, 200);
  assert.deepEqual(await visible('sue'), ['sue']);
  await assertUnreachable('sue', 'alice');
  // Managed groups set on the user instead.
  const manage = await call('PATCH', `/users/${uid.sue}`, 'admin', { managedGroups: [group.support!] });
  assert.equal(manage.status, 200);
  assert.deepEqual(manage.json.managedGroups, [group.support]);
  assert.deepEqual(await visible('sue'), ['carol', 'carolLive', 'sue']);
  // Seed 000 "Select Groups" on the profile: every user of the profile sees those groups' calls.
  const leads = await createProfile({ name: 'Sales leads', callScope: 'group', permissions: ['media:play'], groups: [group.sales!] });
  await setProfile('sam', leads);
  assert.deepEqual(await visible('sam'), ['alice', 'aliceBob', 'bob', 'carol', 'carolLive', 'dave', 'sue'],
    'Sales members via the profile (sue is now a member) plus Support, which sam manages');
  // Deleting a group ends what it granted.
  const del = await call('DELETE', `/groups/${group.support}`, 'admin');
  assert.equal(del.status, 200);
  assert.deepEqual(await visible('sue'), ['sue']);
  // Restore the fixture for the following tests.
  group.support = (await call('POST', '/groups', 'admin', { name: 'Support', members: [uid.carol], managers: [uid.sam] })).json.id;
  await call('PATCH', `/groups/${group.sales}`, 'admin', { members: [uid.alice, uid.bob], managers: [uid.sue] });
  await setProfile('sam', null);
  assert.deepEqual(await visible('sue'), ['alice', 'aliceBob', 'bob', 'sue']);
  assert.deepEqual(await visible('sam'), ['carol', 'carolLive']);
});

test('Play and Download flags: a profile without Play gets 403 on media, toggled via the API for the next request', async () => {
  const listen = await createProfile({ name: 'Listen', callScope: 'own', permissions: ['media:play'] });
  await setProfile('alice', listen);
  const play = (headers: Record<string, string> = {}) => call('GET', `/interactions/${cid.alice}/media?format=wav`, 'alice', undefined, headers);
  const download = () => call('GET', `/interactions/${cid.alice}/media/download?format=wav`, 'alice');
  assert.equal((await play({ range: 'bytes=0-' })).status, 206, 'Play: ranged playback');
  assert.equal((await play()).status, 200, 'Play: the whole file for a player');
  assert.equal((await download()).status, 403, 'no Download: the attachment is refused');
  await patchProfile(listen, { permissions: ['media:download'] });
  const noPlay = await play({ range: 'bytes=0-' });
  assert.equal(noPlay.status, 403, 'Play removed: refused on the very next request');
  assert.match(noPlay.json.message, /media:play/);
  assert.equal((await download()).status, 200, 'Download granted');
  await patchProfile(listen, { permissions: [] });
  assert.equal((await download()).status, 403);
  assert.equal((await play({ range: 'bytes=0-' })).status, 403);
  // Call access stays: the profile still has "Access User's Own Calls".
  assert.equal((await call('GET', `/interactions/${cid.alice}`, 'alice')).status, 200);
  await patchProfile(listen, { callScope: 'none' });
  assert.equal((await call('GET', `/interactions/${cid.alice}`, 'alice')).status, 403, 'scope change applies at once');
  await setProfile('alice', null);
  assert.equal((await play({ range: 'bytes=0-' })).status, 206);
  // Role limit: an Auditor never hears a call, whatever its profile grants.
  await setProfile('audrey', profileId('Administrator'));
  assert.equal((await call('GET', `/interactions/${cid.alice}`, 'audrey')).status, 200, 'the profile gives call access');
  assert.equal((await call('GET', `/interactions/${cid.alice}/media?format=wav`, 'audrey', undefined, { range: 'bytes=0-' })).status, 403);
  assert.equal((await call('GET', `/interactions/${cid.alice}/media/download?format=wav`, 'audrey')).status, 403);
  assert.equal((await call('GET', `/interactions/${cid.orphan}`, 'audrey')).status, 404, 'and no unassigned calls');
  assert.equal((await call('POST', '/users', 'audrey', { username: 'x1', password: 'x1-password', role: 'user' })).status, 403);
  await setProfile('audrey', null);
});

test('legal hold and deletion act only on calls in the caller scope; flags toggle per request', async () => {
  const hold = (who: string, name: string) => call('PUT', `/interactions/${cid[name]}/legal-hold`, who);
  const release = (who: string, name: string) => call('DELETE', `/interactions/${cid[name]}/legal-hold`, who);
  const remove = (who: string, name: string) =>
    call('DELETE', `/interactions/${cid[name]}`, who, { mode: 'media', authorizedBy: 'Compliance', note: 'test' });
  const supervisor = profileId('Supervisor');
  assert.equal((await hold('sue', 'alice')).status, 403, 'the Supervisor profile has no Legal Hold');
  await patchProfile(supervisor, { permissions: ['media:play', 'media:download', 'legalhold:write', 'interactions:delete'] });
  assert.equal((await hold('sue', 'carol')).status, 404, 'outside her groups: as if it did not exist');
  assert.equal((await release('sue', 'carol')).status, 404);
  assert.equal((await hold('sue', 'orphan')).status, 404);
  assert.equal((await remove('sue', 'carol')).status, 404);
  assert.equal((await remove('sue', 'orphan')).status, 404);
  assert.equal(catalog.interactions.get(cid.carol!, { kind: 'all' })!.legalHold, false);
  assert.equal(catalog.interactions.get(cid.carol!, { kind: 'all' })!.status, 'available');
  // A user hold covers all of the user's calls: only for users whose calls the caller sees.
  assert.equal((await call('PUT', `/users/${uid.carol}/legal-hold`, 'sue')).status, 404);
  assert.equal((await call('PUT', `/users/${uid.root}/legal-hold`, 'sue')).status, 404);
  assert.equal(catalog.users.get(uid.carol!)!.legalHoldSince, null);
  assert.equal((await call('PUT', `/users/${uid.bob}/legal-hold`, 'sue')).status, 200, 'bob is in Sales, which sue manages');
  assert.equal((await call('DELETE', `/users/${uid.bob}/legal-hold`, 'sue')).status, 200);
  const held = await hold('sue', 'alice');
  assert.equal(held.status, 200);
  assert.equal(held.json.legalHold, true);
  assert.equal((await release('sue', 'alice')).status, 200);
  // A User/Agent may be granted Delete Calls, but only ever for its own calls.
  const deleter = await createProfile({ name: 'Own deleter', callScope: 'own', permissions: ['interactions:delete'] });
  await setProfile('bob', deleter);
  assert.equal((await remove('bob', 'alice')).status, 404);
  assert.equal((await remove('bob', 'dave')).status, 404);
  // Supervisor limits: never users:write, whatever the profile says.
  await patchProfile(supervisor, { permissions: ['media:play', 'media:download', 'users:write', 'users:read'] });
  assert.equal((await call('POST', '/users', 'sue', { username: 'eve', password: 'eve-password', role: 'user' })).status, 403);
  assert.equal((await hold('sue', 'alice')).status, 403, 'legal hold removed again');
  await patchProfile(supervisor, { permissions: ['alarms:read', 'media:download', 'media:play', 'notes:add', 'tags:assign', 'users:read'] });
  await setProfile('bob', null);
});

test('users: create with role, profile, groups and extensions; update relinks calls; disable; delete; all audited once', async () => {
  const auditOf = (action: string) => catalog.audit.list({ limit: 10_000 }).filter((e) => e.action === action);
  const creates = auditOf('user.create').length;
  // Calls recorded before the account: linked at creation.
  const created = await call('POST', '/users', 'admin', {
    username: 'erin', password: 'erin-password', role: 'supervisor', extensions: ['777'],
    accessProfileId: profileId('Supervisor'), groups: [group.sales], managedGroups: [group.support],
  });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const erin = created.json;
  assert.equal(erin.roleName, 'Supervisor');
  assert.deepEqual(erin.groups, [group.sales]);
  assert.deepEqual(erin.managedGroups, [group.support]);
  assert.deepEqual(erin.accessProfile, { id: profileId('Supervisor'), name: 'Supervisor' });
  assert.equal(auditOf('user.create').length, creates + 1);
  assert.deepEqual(await visible('erin'), ['carol', 'carolLive', 'orphan'], 'the orphan call became hers; Support is managed');
  assert.deepEqual(await visible('admin', '&unassigned=true'), []);

  // Extensions changed: the calls of the removed one are unlinked, the new one's linked.
  const updates = auditOf('user.update').length;
  const moved = await call('PATCH', `/users/${erin.id}`, 'admin', { extensions: ['600'] });
  assert.equal(moved.status, 200);
  assert.deepEqual(moved.json.extensions, ['600']);
  assert.deepEqual(await visible('erin'), ['carol', 'carolLive', 'dave']);
  assert.deepEqual(await visible('admin', '&unassigned=true'), ['orphan'], 'unassigned again');
  const dave = await call('GET', `/interactions/${cid.dave}`, 'admin');
  assert.deepEqual((dave.json.targets as Array<{ username: string }>).map((t) => t.username).sort(), ['dave', 'erin']);
  const rows = auditOf('user.update');
  assert.equal(rows.length, updates + 1, 'one audit row per change');
  assert.deepEqual((rows[0]!.details as { changes: Record<string, unknown> }).changes, { extensions: [['777'], ['600']] });

  // Role change to User/Agent: back to the role default profile scope once the chosen profile is cleared.
  const demoted = await call('PATCH', `/users/${erin.id}`, 'admin', { role: 'user', accessProfileId: null });
  assert.equal(demoted.json.roleName, 'User/Agent');
  assert.deepEqual(await visible('erin'), ['dave']);

  // Disabled: the session ends at once and the password no longer works.
  assert.equal((await call('PATCH', `/users/${erin.id}`, 'admin', { enabled: false })).status, 200);
  assert.equal((await call('GET', '/interactions', 'erin')).status, 401);
  assert.equal((await login('erin')).status, 401);
  sessions.delete('erin');
  assert.equal((await call('PATCH', `/users/${erin.id}`, 'admin', { enabled: true })).status, 200);
  assert.equal((await login('erin')).status, 200);

  // Legal hold blocks deletion; then deletion keeps the calls (unlinked from her).
  assert.equal((await call('PUT', `/users/${erin.id}/legal-hold`, 'admin')).status, 200);
  const refused = await call('DELETE', `/users/${erin.id}`, 'admin');
  assert.equal(refused.status, 409);
  assert.match(refused.json.message, /legal hold/);
  assert.equal((await call('DELETE', `/users/${erin.id}/legal-hold`, 'admin')).status, 200);
  const deletes = auditOf('user.delete').length;
  assert.equal((await call('DELETE', `/users/${erin.id}`, 'admin')).status, 200);
  assert.equal(auditOf('user.delete').length, deletes + 1);
  assert.equal((await call('GET', `/users/${erin.id}`, 'admin')).status, 404);
  const after = await call('GET', `/interactions/${cid.dave}`, 'admin');
  assert.deepEqual((after.json.targets as Array<{ username: string }>).map((t) => t.username), ['dave'], 'the call stays');

  // Only a System Administrator creates, changes or deletes System Administrators; the last one stays.
  assert.equal((await call('POST', '/users', 'admin', { username: 'root2', password: 'root2-password', role: 'sysadmin' })).status, 403);
  assert.equal((await call('PATCH', `/users/${uid.root}`, 'admin', { enabled: false })).status, 403);
  assert.equal((await call('PATCH', `/users/${uid.admin}`, 'admin', { role: 'sysadmin' })).status, 403);
  const last = await call('PATCH', `/users/${uid.root}`, 'root', { role: 'admin' });
  assert.equal(last.status, 409);
  assert.equal((await call('DELETE', `/users/${uid.admin}`, 'admin')).status, 409, 'nobody deletes themselves');
});

test('groups and access profiles: CRUD audited once per action; profiles in use or role defaults are not deleted', async () => {
  const count = (action: string) => catalog.audit.list({ limit: 10_000 }).filter((e) => e.action === action).length;
  const before = { gc: count('group.create'), gu: count('group.update'), gd: count('group.delete'), pc: count('access-profile.create'), pu: count('access-profile.update'), pd: count('access-profile.delete') };
  const g = await call('POST', '/groups', 'admin', { name: 'Night shift', description: 'after 20:00', members: [uid.dave] });
  assert.equal(g.status, 201);
  assert.equal((await call('POST', '/groups', 'admin', { name: 'night SHIFT' })).status, 409);
  assert.equal((await call('PATCH', `/groups/${g.json.id}`, 'admin', { managers: [uid.sam] })).status, 200);
  assert.equal((await call('GET', `/groups/${g.json.id}`, 'sue')).json.managers[0], uid.sam, 'supervisors may view groups');
  assert.equal((await call('POST', '/groups', 'alice', { name: 'Mine' })).status, 403);
  const p = await call('POST', '/access-profiles', 'admin', { name: 'Night', callScope: 'group', permissions: ['media:play'], groups: [g.json.id] });
  assert.equal(p.status, 201);
  assert.equal((await call('POST', '/access-profiles', 'admin', { name: 'NIGHT', callScope: 'own', permissions: [] })).status, 409);
  assert.equal((await call('PATCH', `/access-profiles/${p.json.id}`, 'admin', { description: 'nights' })).status, 200);
  await setProfile('dave', p.json.id);
  const inUse = await call('DELETE', `/access-profiles/${p.json.id}`, 'admin');
  assert.equal(inUse.status, 409);
  await setProfile('dave', null);
  assert.equal((await call('DELETE', `/access-profiles/${p.json.id}`, 'admin')).status, 200);
  assert.equal((await call('DELETE', `/access-profiles/${profileId('User/Agent')}`, 'admin')).status, 409, 'a role default stays');
  assert.equal((await call('DELETE', `/groups/${g.json.id}`, 'admin')).status, 200);
  assert.equal((await call('POST', '/access-profiles', 'sue', { name: 'Mine', callScope: 'all', permissions: [] })).status, 403);
  assert.deepEqual(
    { gc: count('group.create'), gu: count('group.update'), gd: count('group.delete'), pc: count('access-profile.create'), pu: count('access-profile.update'), pd: count('access-profile.delete') },
    { gc: before.gc + 1, gu: before.gu + 1, gd: before.gd + 1, pc: before.pc + 1, pu: before.pu + 1, pd: before.pd + 1 },
  );
});

test('validation errors name the field', async () => {
  const cases: Array<[string, string, unknown, RegExp]> = [
    ['POST', '/users', { username: 'x2', password: 'x2-password', role: 'root' }, /role/],
    ['POST', '/users', { username: 'x2', password: 'x2-password', role: 'user', color: 'red' }, /color/],
    ['POST', '/users', { username: 'x2', password: 'x2-password' }, /role/],
    ['POST', '/users', { username: 'x2', password: 'x2-password', role: 'user', extensions: ['1 2'] }, /extensions/],
    ['POST', '/users', { username: 'x2', password: 'x2-password', role: 'user', groups: [9999] }, /groups/],
    ['POST', '/users', { username: 'x2', password: 'x2-password', role: 'user', accessProfileId: 9999 }, /accessProfileId/],
    ['PATCH', `/users/${uid.bob}`, { managedGroups: [9999] }, /managedGroups/],
    ['PATCH', `/users/${uid.bob}`, { enabled: 'yes' }, /enabled/],
    ['PATCH', `/users/${uid.bob}`, {}, /properties/],
    ['POST', '/groups', { name: 'G', members: [9999] }, /members/],
    ['POST', '/groups', { name: '' }, /name/],
    ['POST', '/access-profiles', { name: 'P', callScope: 'some', permissions: [] }, /callScope/],
    ['POST', '/access-profiles', { name: 'P', callScope: 'own', permissions: ['media:read'] }, /permissions/],
    ['POST', '/access-profiles', { name: 'P', callScope: 'own', permissions: [], groups: [9999] }, /groups/],
  ];
  for (const [method, path, body, field] of cases) {
    const res = await call(method, path, 'root', body);
    assert.equal(res.status, 400, `${method} ${path} ${JSON.stringify(body)}: ${res.status} ${JSON.stringify(res.json)}`);
    assert.match(res.json.message, field, `${method} ${path} ${JSON.stringify(body)}: ${res.json.message}`);
  }
  assert.equal(catalog.users.byUsername('x2'), null, 'nothing was created');
});

test('nobody grants what they do not have: role, profile choice and profile edits are checked against the caller', async () => {
  const helpdesk = await createProfile({
    name: 'Helpdesk', callScope: 'own', permissions: ['users:read', 'users:write', 'media:play', 'media:download', 'tags:assign', 'notes:add'],
  });
  const helen = await call('POST', '/users', 'root', { username: 'helen', password: 'helen-password', role: 'admin', accessProfileId: helpdesk });
  assert.equal(helen.status, 201);
  const raise = await call('PATCH', `/users/${helen.json.id}`, 'helen', { accessProfileId: profileId('Administrator') });
  assert.equal(raise.status, 403);
  assert.match(raise.json.message, /you cannot grant what you do not have: .*system:configure.*call scope "all"/);
  assert.equal(catalog.users.get(helen.json.id)!.accessProfileId, helpdesk, 'unchanged');
  assert.equal((await call('POST', '/users', 'helen', { username: 'ivan', password: 'ivan-password', role: 'admin' })).status, 403);
  assert.equal((await call('POST', '/users', 'helen', { username: 'ivan', password: 'ivan-password', role: 'supervisor' })).status, 403,
    'the Supervisor profile reaches group calls');
  const agent = await call('POST', '/users', 'helen', { username: 'ivan', password: 'ivan-password', role: 'user', extensions: ['900'] });
  assert.equal(agent.status, 201, 'a User/Agent gets nothing helen lacks');
  assert.equal((await call('PATCH', `/users/${agent.json.id}`, 'helen', { role: 'admin' })).status, 403);
  // Profile edits: with "Create and Modify Access Profiles", still only within what she holds.
  await patchProfile(helpdesk, { permissions: ['users:read', 'users:write', 'media:play', 'media:download', 'tags:assign', 'notes:add', 'access-profiles:write'] });
  assert.equal((await call('PATCH', `/access-profiles/${helpdesk}`, 'helen', { permissions: ['access-profiles:write', 'system:configure'] })).status, 403);
  assert.equal((await call('PATCH', `/access-profiles/${helpdesk}`, 'helen', { callScope: 'all' })).status, 403);
  assert.equal((await call('PATCH', `/access-profiles/${profileId('Administrator')}`, 'helen', { description: 'mine now' })).status, 403);
  assert.equal((await call('POST', '/access-profiles', 'helen', { name: 'Wide', callScope: 'all', permissions: [] })).status, 403);
  assert.equal((await call('PATCH', `/access-profiles/${helpdesk}`, 'helen', { description: 'front desk' })).status, 200);
  // A Supervisor never edits groups (it would widen its own scope), whatever its profile says.
  await patchProfile(profileId('Supervisor'), { permissions: ['alarms:read', 'groups:write', 'media:download', 'media:play', 'notes:add', 'tags:assign', 'users:read'] });
  assert.equal((await call('PATCH', `/groups/${group.sales}`, 'sue', { members: [uid.alice, uid.bob, uid.carol] })).status, 403);
  await patchProfile(profileId('Supervisor'), { permissions: ['alarms:read', 'media:download', 'media:play', 'notes:add', 'tags:assign', 'users:read'] });
});

test('the Users and Groups filter: a group stands for its members, inside the caller\'s scope', async () => {
  assert.deepEqual(await visible('admin', `&group=${group.sales}`), ['alice', 'aliceBob', 'bob'].sort());
  assert.deepEqual(await visible('admin', `&group=${group.support}&user=${uid.dave}`), ['carol', 'carolLive', 'dave'].sort());
  const empty = await call('POST', '/groups', 'admin', { name: 'Nobody yet', members: [], managers: [] });
  assert.equal(empty.status, 201, JSON.stringify(empty.json));
  assert.deepEqual(await visible('admin', `&group=${empty.json.id}`), [], 'a group without members matches no call');
  // sam manages Support only: asking for Sales shows nothing of it.
  assert.deepEqual(await visible('sam', `&group=${group.sales}`), []);
});
