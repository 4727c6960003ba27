// The recorder and the portal are two processes writing one catalog. A transaction that reads and
// then writes must not fail because the other process committed in between.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Catalog, CATALOG_FILE } from '../../storage/catalog/index.js';

test('a catalog transaction holds the write lock from its start: another writer in the middle waits, the transaction commits', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sipvault-tx-'));
  const catalog = Catalog.open(dir);
  const other = new BetterSqlite3(join(dir, CATALOG_FILE));
  other.pragma('busy_timeout = 100');
  t.after(() => {
    other.close();
    catalog.close();
    rmSync(dir, { recursive: true, force: true });
  });
  let otherWrote: boolean | null = null;
  catalog.transaction(() => {
    catalog.tags.list(); // a read first: with a deferred transaction this pins a snapshot
    try {
      other.prepare("INSERT INTO tags (name, description, created_at) VALUES ('Other', '', 0)").run();
      otherWrote = true;
    } catch (err) {
      assert.match(String((err as { code?: string }).code), /^SQLITE_BUSY/);
      otherWrote = false;
    }
    catalog.tags.create('Ours', 'written after the other writer tried');
  });
  assert.equal(otherWrote, false, 'the other writer had to wait for this transaction');
  const names = catalog.tags.list().map((x) => x.name);
  assert.ok(names.includes('Ours') && !names.includes('Other'), `tags: ${names.join(', ')}`);
});
