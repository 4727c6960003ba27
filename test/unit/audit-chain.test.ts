import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { Catalog, CATALOG_FILE, GENESIS_HASH, type NewAuditEntry } from '../../storage/catalog/index.js';

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'sipvault-audit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function openCatalog(t: TestContext, dir = tempDir(t)): Catalog {
  const catalog = Catalog.open(dir);
  t.after(() => catalog.close());
  return catalog;
}

/** A raw connection beside the catalog: what someone with file access could do. */
function raw(t: TestContext, dir: string): BetterSqlite3.Database {
  const db = new BetterSqlite3(join(dir, CATALOG_FILE));
  db.pragma('busy_timeout = 5000');
  t.after(() => db.close());
  return db;
}

const row = (i: number, over: Partial<NewAuditEntry> = {}): NewAuditEntry => ({
  userId: 7,
  username: 'alice',
  action: 'media.play',
  target: `call-${i}`,
  details: { format: 'wav', n: i },
  ip: '10.0.0.9',
  ...over,
});

test('rows chain from the genesis hash; each carries its seed meaning; verify says ok', (t) => {
  const catalog = openCatalog(t);
  assert.deepEqual(catalog.audit.verify(), { ok: true, rows: 0, lastId: null, lastHash: null, firstBroken: null });
  const ids = [1, 2, 3].map((i) => catalog.audit.record(row(i)));
  assert.deepEqual(ids, [1, 2, 3]);
  catalog.audit.record({ userId: 1, username: 'admin', action: 'login', target: 'admin', details: null, ip: '127.0.0.1' });
  const [login, play] = catalog.audit.list({ limit: 2 });
  assert.deepEqual([login!.kind, login!.item, login!.actionType, login!.description, login!.app], ['Login', 'User', 'Login', 'admin logged into system', 'Portal']);
  assert.deepEqual([play!.kind, play!.item, play!.actionType, play!.description], ['Play', 'Call', 'PlayRecording', 'alice played call call-3']);
  const v = catalog.audit.verify();
  assert.equal(v.ok, true);
  assert.equal(v.rows, 4);
  assert.equal(v.lastId, 4);
  assert.equal(v.lastHash, login!.hash);
  assert.match(login!.hash, /^[0-9a-f]{64}$/);
});

test('UPDATE and DELETE are refused by triggers; an INSERT that does not extend the chain too', (t) => {
  const dir = tempDir(t);
  const catalog = openCatalog(t, dir);
  for (let i = 1; i <= 3; i++) catalog.audit.record(row(i));
  const db = raw(t, dir);
  assert.throws(() => db.prepare(`UPDATE audit SET username = 'mallory' WHERE id = 2`).run(), /append-only: rows cannot be changed/);
  assert.throws(() => db.prepare('DELETE FROM audit WHERE id = 3').run(), /append-only: rows cannot be deleted/);
  assert.throws(
    () => db.prepare(`INSERT INTO audit (at, user_id, username, action, target, details, ip) VALUES (1, NULL, 'x', 'login', NULL, NULL, NULL)`).run(),
    /hash chain/,
  );
  // A well-formed row that links to the genesis instead of the end would fork the chain.
  assert.throws(
    () => db.prepare(`INSERT INTO audit (id, at, action, prev_hash, hash) VALUES (4, 1, 'login', ?, ?)`).run(GENESIS_HASH, 'a'.repeat(64)),
    /hash chain/,
  );
  assert.equal(catalog.audit.verify().ok, true);
  assert.equal(catalog.audit.list({ limit: 10 }).length, 3);
});

test('an edited row is found by verify at that row', (t) => {
  const dir = tempDir(t);
  const catalog = openCatalog(t, dir);
  for (let i = 1; i <= 10; i++) catalog.audit.record(row(i));
  const db = raw(t, dir);
  const withoutTriggers = (sql: string, ...args: unknown[]) => {
    db.exec('DROP TRIGGER audit_append_only_update; DROP TRIGGER audit_append_only_delete');
    db.prepare(sql).run(...args);
  };

  withoutTriggers(`UPDATE audit SET details = '{"format":"mp3","n":6}' WHERE id = 6`);
  const v = catalog.audit.verify();
  assert.equal(v.ok, false);
  assert.equal(v.firstBroken?.id, 6);
  assert.equal(v.firstBroken?.reason, 'hash');
  assert.equal(v.lastId, 5, 'rows up to 5 are intact');
  assert.equal(v.rows, 6);
});

test('a deleted row is reported at the row after it; a rewritten hash at its successor', (t) => {
  const dir = tempDir(t);
  const catalog = openCatalog(t, dir);
  for (let i = 1; i <= 10; i++) catalog.audit.record(row(i));
  const db = raw(t, dir);
  db.exec('DROP TRIGGER audit_append_only_update; DROP TRIGGER audit_append_only_delete');
  db.prepare('DELETE FROM audit WHERE id = 4').run();
  let v = catalog.audit.verify();
  assert.deepEqual([v.ok, v.firstBroken?.id, v.firstBroken?.reason, v.lastId], [false, 5, 'missing', 3]);

  // Someone who also knows the hash rule rewrites row 2 with a consistent hash: row 3 no longer links.
  const dir2 = tempDir(t);
  const c2 = openCatalog(t, dir2);
  for (let i = 1; i <= 5; i++) c2.audit.record(row(i));
  const db2 = raw(t, dir2);
  db2.exec('DROP TRIGGER audit_append_only_update');
  db2.prepare(`UPDATE audit SET username = 'mallory', hash = ? WHERE id = 2`).run('b'.repeat(64));
  v = c2.audit.verify();
  assert.equal(v.firstBroken?.id, 2, 'its own content no longer hashes to the stored value');
  assert.equal(v.firstBroken?.reason, 'hash');
});

test('two catalogs on one file writing alternately keep one chain', (t) => {
  const dir = tempDir(t);
  const a = openCatalog(t, dir);
  const b = openCatalog(t, dir);
  for (let i = 0; i < 50; i++) (i % 2 ? a : b).audit.record(row(i, { username: i % 2 ? 'portal' : 'recorder' }));
  const v = a.audit.verify();
  assert.deepEqual([v.ok, v.rows], [true, 50]);
  assert.deepEqual(b.audit.verify(), v);
});

test('two processes appending at the same time never fork the chain', async (t) => {
  const dir = tempDir(t);
  const catalog = openCatalog(t, dir);
  const index = fileURLToPath(new URL('../../storage/catalog/index.js', import.meta.url));
  const script = `
    const { Catalog } = await import(${JSON.stringify(index)});
    const c = Catalog.open(process.argv[1]);
    for (let i = 0; i < 300; i++) c.audit.record({ userId: null, username: process.argv[2], action: 'retention.purge', target: 'c' + i, details: null, ip: null });
    c.close();`;
  const run = (name: string) =>
    new Promise<number>((resolve, reject) => {
      const p = spawn(process.execPath, ['--input-type=module', '-e', script, dir, name], { stdio: ['ignore', 'inherit', 'inherit'] });
      p.once('error', reject);
      p.once('exit', (code) => resolve(code ?? -1));
    });
  const codes = await Promise.all([run('p1'), run('p2')]);
  for (let i = 0; i < 100; i++) catalog.audit.record(row(i));
  assert.deepEqual(codes, [0, 0]);
  const v = catalog.audit.verify();
  assert.deepEqual([v.ok, v.rows], [true, 700]);
  assert.equal(catalog.audit.count({ name: 'p1' }), 300);
  assert.equal(catalog.audit.count({ name: 'p2' }), 300);
  assert.equal(catalog.audit.list({ limit: 1 })[0]!.app, 'Portal');
  assert.equal(catalog.audit.search({ limit: 1, name: 'p1' }).items[0]!.app, 'System');
});

test('search: date range, name contains, action, seed item and kind, target, free text, paging', async (t) => {
  const catalog = openCatalog(t);
  catalog.audit.record({ userId: 1, username: 'admin', action: 'login', target: 'admin', details: null, ip: '10.0.0.1' });
  await new Promise((r) => setTimeout(r, 5));
  const mid = new Date();
  await new Promise((r) => setTimeout(r, 5));
  catalog.audit.record({ userId: 2, username: 'Bob_Smith', action: 'note.add', target: 'c1', details: { item: 'Note', text: 'customer 100% angry' }, ip: '10.0.0.2' });
  catalog.audit.record({ userId: 2, username: 'bobby', action: 'note.delete', target: 'c1', details: null, ip: '10.0.0.2' });
  catalog.audit.record({ userId: 1, username: 'admin', action: 'legalhold.on', target: 'c2', details: { item: 'Legal Hold', scope: 'recording' }, ip: '10.0.0.1' });
  for (let i = 0; i < 7; i++) catalog.audit.record(row(i));

  const names = (q: Parameters<typeof catalog.audit.search>[0]) => catalog.audit.search(q).items.map((e) => `${e.username}:${e.action}`);
  assert.deepEqual(names({ limit: 50, to: mid }), ['admin:login']);
  assert.equal(catalog.audit.count({ from: mid }), 10);
  assert.deepEqual(names({ limit: 50, name: 'BOB' }), ['bobby:note.delete', 'Bob_Smith:note.add'], 'contains, case-insensitive');
  assert.deepEqual(names({ limit: 50, name: 'b_s' }), ['Bob_Smith:note.add'], '_ is literal');
  assert.deepEqual(names({ limit: 50, actions: ['note.*'] }), ['bobby:note.delete', 'Bob_Smith:note.add']);
  assert.deepEqual(names({ limit: 50, actions: ['login', 'legalhold.on'] }), ['admin:legalhold.on', 'admin:login']);
  assert.deepEqual(names({ limit: 50, item: 'Note' }), ['bobby:note.delete', 'Bob_Smith:note.add']);
  assert.deepEqual(names({ limit: 50, kind: 'LegalHoldOn' }), ['admin:legalhold.on']);
  assert.deepEqual(names({ limit: 50, target: 'c1', kind: 'Delete' }), ['bobby:note.delete']);
  assert.deepEqual(names({ limit: 50, text: '100%' }), ['Bob_Smith:note.add'], 'details text, % literal');
  assert.deepEqual(names({ limit: 50, text: 'placed in legal hold' }), ['admin:legalhold.on'], 'description text');

  const seen: number[] = [];
  let cursor: string | null = null;
  do {
    const page: ReturnType<typeof catalog.audit.search> = catalog.audit.search({ limit: 3, ...(cursor ? { beforeId: Number(cursor) } : {}) });
    assert.ok(page.items.length <= 3);
    seen.push(...page.items.map((e) => e.id));
    cursor = page.nextCursor;
  } while (cursor);
  assert.deepEqual(seen, [11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1], 'every row once, newest first');
});

test('system activity log: system audit rows and alarm events with seed log and activity types', (t) => {
  const catalog = openCatalog(t);
  catalog.audit.record({ userId: null, username: 'system', action: 'retention.summary', target: null, details: { purged: 3, held: 1, failed: 0 }, ip: null });
  catalog.audit.record(row(1)); // a user's action: not a system activity
  const alarm = { name: 'ConnectionFailed', oid: '1.3.6.1.4.1.5003.9.40.3.2.0.101', source: 'sv/Bucket-SystemConfiguration' };
  catalog.alarms.raise({ ...alarm, severity: 'critical', text: 'Connection To Storage Bucket Lost' });
  catalog.alarms.clear(alarm.name, alarm.source);
  catalog.alarms.raise({ name: 'RecordingResourceUnavailable', oid: '1.3.6.1.4.1.5003.9.40.3.2.0.100', source: 'sv/Recorder', severity: 'minor', text: 'Disk space low' });

  const all = catalog.activity.list({ limit: 10 });
  assert.equal(all.total, 4);
  assert.deepEqual(
    all.items.map((e) => [e.logType, e.activityType, e.description]).sort(),
    [
      ['Info', 'Retention', 'Retention purge: 3 calls purged, 1 held'],
      ['alarm Clear', 'Storage', 'Cleared: Connection To Storage Bucket Lost'],
      ['alarm', 'Storage', 'Connection To Storage Bucket Lost'],
      ['warning', 'System', 'Disk space low'],
    ],
  );
  assert.deepEqual(catalog.activity.list({ limit: 10, activityType: 'Storage' }).items.map((e) => e.logType).sort(), ['alarm', 'alarm Clear']);
  assert.deepEqual(catalog.activity.list({ limit: 10, text: 'purged' }).items.map((e) => e.activityType), ['Retention']);
  const first = catalog.activity.list({ limit: 3 });
  assert.ok(first.nextCursor);
  const second = catalog.activity.list({ limit: 3, cursor: first.nextCursor! });
  assert.equal(second.items.length, 1);
  assert.equal(new Set([...first.items, ...second.items].map((e) => e.id)).size, 4);
  assert.throws(() => catalog.activity.list({ limit: 3, cursor: 'nope' }), /cursor/);
});

test('rows written before the chain existed are chained by the upgrade; verify then checks them too', async (t) => {
  const dir = tempDir(t);
  const { migrate } = await import('../../storage/catalog/migrate.js');
  const { migrations } = await import('../../storage/catalog/migrations/index.js');
  const db = new BetterSqlite3(join(dir, CATALOG_FILE));
  migrate(db, migrations.slice(0, 8));
  db.exec(`INSERT INTO audit (at, user_id, username, action, target, details, ip) VALUES
    (1700000000000, 1, 'alice', 'login', 'alice', NULL, '10.0.0.1'),
    (1700000001000, NULL, 'system', 'retention.summary', NULL, '{"purged":2,"held":0,"failed":0}', NULL),
    (1700000002000, 1, 'alice', 'media.play', 'abc', '{"format":"wav"}', '10.0.0.1')`);
  db.close();
  const catalog = openCatalog(t, dir);
  assert.deepEqual(catalog.audit.verify().rows, 3);
  assert.equal(catalog.audit.verify().ok, true);
  const [play, summary, login] = catalog.audit.list({ limit: 3 });
  assert.deepEqual([login!.description, summary!.app, summary!.description, play!.actionType], ['alice logged into system', 'System', 'Retention purge: 2 calls purged, 0 held', 'PlayRecording']);
  catalog.audit.record(row(4));
  assert.deepEqual([catalog.audit.verify().ok, catalog.audit.verify().rows], [true, 4]);
  assert.deepEqual(catalog.activity.list({ limit: 5 }).items.map((e) => [e.logType, e.activityType]), [['Info', 'Retention']]);
});
