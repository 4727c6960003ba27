import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Catalog, CATALOG_FILE, ConflictError, InvalidInputError, LegalHoldError, type AccessScope } from '../../storage/catalog/index.js';
import { SCHEMA_VERSION, migrate } from '../../storage/catalog/migrate.js';
import { migrations } from '../../storage/catalog/migrations/index.js';

function open(t: TestContext): Catalog {
  const dir = mkdtempSync(join(tmpdir(), 'sipvault-catalog-access-'));
  const catalog = Catalog.open(dir);
  t.after(() => {
    catalog.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return catalog;
}

let seq = 0;
function record(c: Catalog, calling: string, called: string): string {
  return c.interactions.create({
    callId: `call-${seq}@src`,
    sessionId: null,
    startTime: new Date(Date.parse('2026-01-01T00:00:00Z') + seq++ * 1000),
    direction: 'None',
    callingParty: `sip:${calling}@pbx`,
    calledParty: `sip:${called}@pbx`,
    participants: [],
    src: 'udp:10.0.0.5:5060',
    streams: [],
    partyRule: null,
  });
}

/** Every id the scope lists, following the cursor. */
function listAll(c: Catalog, scope: AccessScope, limit = 200): string[] {
  const out: string[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = c.interactions.list({ limit, ...(cursor ? { cursor } : {}) }, scope);
    out.push(...page.items.map((i) => i.id));
    if (!page.nextCursor) return out;
    cursor = page.nextCursor;
  }
}

test('group scope: own calls plus managed and profile-selected groups, the same through both query plans', (t) => {
  const c = open(t);
  const lead = c.users.add({ username: 'lead', password: 'lead-password', role: 'supervisor', extensions: ['900'] }).id;
  const a = c.users.add({ username: 'a', password: 'a-password', role: 'user', extensions: ['100'] }).id;
  const b = c.users.add({ username: 'b', password: 'b-password', role: 'user', extensions: ['200'] }).id;
  const outsider = c.users.add({ username: 'o', password: 'o-password', role: 'user', extensions: ['300'] }).id;
  const teamCalls = new Set<string>();
  const leadOwn = new Set<string>();
  const bCalls = new Set<string>();
  const others = new Set<string>();
  const orphans = new Set<string>();
  // Over COMMON_MATCHES (5,000) calls for the team: the per-row plan; a small team: the index plan.
  c.transaction(() => {
    for (let i = 0; i < 5200; i++) teamCalls.add(record(c, '100', `55510${i % 100}`));
    for (let i = 0; i < 40; i++) leadOwn.add(record(c, `5552${i}`, '900'));
    for (let i = 0; i < 300; i++) others.add(record(c, '300', `5553${i}`));
    for (let i = 0; i < 30; i++) orphans.add(record(c, '777', `5554${i}`));
    for (let i = 0; i < 20; i++) bCalls.add(record(c, '200', `5555${i}`));
  });
  const union = (...sets: Array<Set<string>>) => new Set(sets.flatMap((x) => [...x]));
  const team = c.groups.create({ name: 'Team', members: [a], managers: [lead] });
  const scope: AccessScope = { kind: 'group', userId: lead };
  const seen = listAll(c, scope);
  assert.equal(new Set(seen).size, seen.length, 'no call twice across pages');
  assert.deepEqual(new Set(seen), union(teamCalls, leadOwn));
  for (const id of [...others, ...orphans, ...bCalls].slice(0, 50)) assert.equal(c.interactions.get(id, scope), null);
  // "Access All Calls" without unassigned ones, here through the per-row plan (over 5,000 links).
  const assigned = listAll(c, { kind: 'assigned' });
  assert.equal(new Set(assigned).size, assigned.length);
  assert.deepEqual(new Set(assigned), union(teamCalls, leadOwn, others, bCalls));

  // b's calls join through the profile's groups (seed 000 "Select Groups"), not a managed group.
  const side = c.groups.create({ name: 'Side', members: [b] });
  const profile = c.accessProfiles.create({ name: 'Team lead', callScope: 'group', permissions: ['media:play'], groups: [side.id] });
  c.users.update(lead, { accessProfileId: profile.id });
  assert.deepEqual(new Set(listAll(c, scope)), union(teamCalls, leadOwn, bCalls));

  // The small-team (index) plan: a leaves the team; the lead's own calls and b's remain.
  c.groups.update(team.id, { members: [] });
  const small = listAll(c, scope, 7);
  assert.equal(new Set(small).size, small.length);
  assert.deepEqual(new Set(small), union(leadOwn, bCalls));
  for (const id of [...teamCalls].slice(0, 50)) assert.equal(c.interactions.get(id, scope), null);
  assert.equal(c.interactions.list({ limit: 50, userId: outsider }, scope).items.length, 0, 'a user filter never widens the scope');

  // Own scope with many calls (per-row plan) equals the links.
  const own = listAll(c, { kind: 'user', userId: a });
  assert.equal(own.length, 5200);
});

test('assigned and none scopes; unassigned calls only with the all scope', (t) => {
  const c = open(t);
  c.users.add({ username: 'a', password: 'a-password', role: 'user', extensions: ['100'] });
  const mine = record(c, '100', '200');
  const orphan = record(c, '777', '888');
  assert.deepEqual(listAll(c, { kind: 'assigned' }), [mine]);
  assert.deepEqual(listAll(c, { kind: 'none' }), []);
  assert.equal(c.interactions.get(mine, { kind: 'none' }), null);
  assert.equal(c.interactions.get(orphan, { kind: 'assigned' }), null);
  assert.deepEqual(listAll(c, { kind: 'all' }), [orphan, mine]);
});

test('users: update relinks nothing by itself, refuses bad references naming the field; the last System Administrator stays', (t) => {
  const c = open(t);
  const root = c.users.add({ username: 'root', password: 'root-password', role: 'sysadmin', extensions: [] });
  assert.equal(root.role, 'sysadmin');
  assert.throws(() => c.users.update(root.id, { role: 'admin' }), ConflictError);
  assert.throws(() => c.users.update(root.id, { enabled: false }), ConflictError);
  assert.throws(() => c.users.remove(root.id), ConflictError);
  const second = c.users.add({ username: 'root2', password: 'root2-password', role: 'sysadmin', extensions: [] });
  assert.equal(c.users.sysadmins(), 2);
  assert.equal(c.users.update(root.id, { role: 'admin' }).after.role, 'admin', 'another one remains');
  assert.throws(() => c.users.update(second.id, { accessProfileId: 999 }), (e: Error) => e instanceof InvalidInputError && /accessProfileId/.test(e.message));
  assert.throws(() => c.users.update(second.id, { groups: [42] }), (e: Error) => e instanceof InvalidInputError && /groups/.test(e.message));
  const held = c.users.add({ username: 'held', password: 'held-password', role: 'user', extensions: ['1'] });
  c.retention.setUserHold(held.id, new Date());
  assert.throws(() => c.users.remove(held.id), LegalHoldError);
  // Disabled accounts do not log in, even with the right password.
  c.users.update(held.id, { enabled: false });
  assert.equal(c.users.verify('held', 'held-password'), null);
  c.users.update(held.id, { enabled: true });
  assert.equal(c.users.verify('held', 'held-password')?.id, held.id);
});

test('migration 10 makes pre-existing administrators System Administrators and seeds one profile per role', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sipvault-catalog-access-v8-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const old = new BetterSqlite3(join(dir, CATALOG_FILE));
  migrate(old, migrations.slice(0, 8));
  old.exec(`INSERT INTO users (id, username, password_hash, role, must_change_password, created_at, updated_at) VALUES
    (1, 'admin', 'x', 'admin', 0, 1, 1), (2, 'sue', 'x', 'supervisor', 0, 1, 1), (3, 'audrey', 'x', 'auditor', 0, 1, 1)`);
  old.close();
  const c = Catalog.open(dir);
  t.after(() => c.close());
  assert.equal(c.schemaVersion, SCHEMA_VERSION);
  assert.deepEqual(c.users.list().map((u) => [u.username, u.role, u.accessProfileId, u.enabled]), [
    ['admin', 'sysadmin', null, true],
    ['audrey', 'auditor', null, true],
    ['sue', 'supervisor', null, true],
  ]);
  assert.equal(c.users.sysadmins(), 1);
  assert.deepEqual(
    c.accessProfiles.list().map((p) => [p.name, p.defaultForRole, p.callScope, p.userCount]).sort(),
    [
      ['Administrator', 'admin', 'all', 0],
      ['Auditor', 'auditor', 'none', 1],
      ['Supervisor', 'supervisor', 'group', 1],
      ['System Administrator', 'sysadmin', 'all', 1],
      ['User/Agent', 'user', 'own', 0],
    ],
  );
  assert.equal(c.accessProfiles.grantFor({ role: 'auditor', accessProfileId: null })?.name, 'Auditor');
});
