import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Catalog, CatalogVersionError, SCHEMA_VERSION, CATALOG_FILE } from '../../storage/catalog/index.js';
import { migrate } from '../../storage/catalog/migrate.js';
import { migrations, type Migration } from '../../storage/catalog/migrations/index.js';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'sipvault-catalog-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('open migrates an empty directory, in WAL mode with foreign keys, and re-open is idempotent', (t) => {
  const dir = join(tempDir(t), 'nested', 'data');
  const c1 = Catalog.open(dir);
  assert.equal(c1.schemaVersion, SCHEMA_VERSION);
  c1.users.add({ username: 'keep', password: 'password-1', role: 'admin', extensions: [] });
  c1.close();

  const c2 = Catalog.open(dir);
  assert.equal(c2.schemaVersion, SCHEMA_VERSION);
  assert.equal(c2.users.count(), 1, 'data survives re-open, nothing re-created');
  c2.close();

  const raw = new BetterSqlite3(join(dir, CATALOG_FILE), { readonly: true });
  t.after(() => raw.close());
  assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
  const rows = raw.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all();
  assert.deepEqual(
    rows,
    migrations.map((m) => ({ version: m.version, name: m.name })),
  );
});

test('a catalog written by a newer sipvault is refused with a clear error', (t) => {
  const dir = tempDir(t);
  Catalog.open(dir).close();
  const raw = new BetterSqlite3(join(dir, CATALOG_FILE));
  raw.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
    SCHEMA_VERSION + 1,
    'future',
    new Date().toISOString(),
  );
  raw.close();
  assert.throws(() => Catalog.open(dir), (err: unknown) => {
    assert.ok(err instanceof CatalogVersionError);
    assert.match(err.message, new RegExp(`version ${SCHEMA_VERSION + 1} is newer than this sipvault supports \\(${SCHEMA_VERSION}\\)`));
    return true;
  });
});

test('each migration runs in its own transaction: a failing one leaves the previous version intact', (t) => {
  const dir = tempDir(t);
  const db = new BetterSqlite3(join(dir, 'm.sqlite'));
  t.after(() => db.close());
  const list: Migration[] = [
    { version: 1, name: 'one', up: (d) => d.exec('CREATE TABLE a (x INTEGER)') },
    {
      version: 2,
      name: 'two',
      up: (d) => {
        d.exec('CREATE TABLE b (x INTEGER)');
        throw new Error('boom');
      },
    },
  ];
  assert.throws(() => migrate(db, list), /boom/);
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
  assert.deepEqual(tables, ['a', 'schema_migrations']);
  assert.equal(migrate(db, list.slice(0, 1)), 1, 'version 1 is recorded and not re-applied');
});
