import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Catalog, CATALOG_FILE, SCHEMA_VERSION } from '../../storage/catalog/index.js';
import { migrate } from '../../storage/catalog/migrate.js';
import { migrations } from '../../storage/catalog/migrations/index.js';

type Db = BetterSqlite3.Database;

// Rows as a catalog of schema version 1 holds them (001 is frozen, so this SQL stays valid).
// The call's direction is what linking computes (100 is alice's extension, and she calls).
const V1_ROWS = `
INSERT INTO users (id, username, password_hash, role, must_change_password, created_at, updated_at)
  VALUES (1, 'alice', '$scrypt$ln=14,r=8,p=1$c2FsdA$aGFzaA', 'user', 0, 1700000000000, 1700000000000);
INSERT INTO user_extensions (user_id, extension) VALUES (1, '100');
INSERT INTO interactions (id, call_id, session_id, start_time, end_time, duration_ms, direction, calling_party, calling_user,
  called_party, called_user, status, release_cause, src, party_rule, updated_at)
  VALUES ('6561d7a0dd2ca9b8cf1f0879', 'c1@src', 'sess-1', 1700000000000, 1700000060000, 60000, 'Outgoing', 'sip:100@pbx', '100',
  'sip:+15557654@pstn', '+15557654', 'available', 'Normal', 'udp:10.0.0.5:5060', 'from-to', 1700000060000),
  ('6561d7a1dd2ca9b8cf1f0880', 'c2@src', NULL, 1700000100000, NULL, NULL, 'Incoming', 'sip:700@pbx', '700',
  'sip:701@pbx', '701', 'failed', 'Failure', 'udp:10.0.0.5:5060', NULL, 1700000100000);
INSERT INTO participants (interaction_id, ord, participant_id, name, aor, aor_user, role) VALUES
  ('6561d7a0dd2ca9b8cf1f0879', 0, 'p0', 'Alice Smith', 'sip:100@pbx', '100', 'calling'),
  ('6561d7a0dd2ca9b8cf1f0879', 1, 'p1', 'Bob Jones', 'sip:+15557654@pstn', '+15557654', 'called');
INSERT INTO streams (interaction_id, label, participant_id, channel, codec, packets, lost, jitter_ms)
  VALUES ('6561d7a0dd2ca9b8cf1f0879', '1', 'p0', 0, 'PCMU', 3000, 2, 1.5);
INSERT INTO media_files (interaction_id, format, key, bytes, sha256, sample_rate, channels, duration_ms, created_at)
  VALUES ('6561d7a0dd2ca9b8cf1f0879', 'wav', '2023/11/14/6561d7a0dd2ca9b8cf1f0879.wav', 960044, '${'ab'.repeat(32)}', 8000, 2, 60000, 1700000061000);
INSERT INTO interaction_tags (interaction_id, tag) VALUES ('6561d7a0dd2ca9b8cf1f0879', 'SalesOrder');
INSERT INTO audit (at, user_id, username, action, target, details, ip) VALUES (1700000070000, 1, 'alice', 'media.play', '6561d7a0dd2ca9b8cf1f0879', '{"format":"wav"}', '127.0.0.1');
INSERT INTO alarms (name, oid, source, severity, state, text, raised_at, updated_at)
  VALUES ('ConnectionFailed', '1.3.6.1.4.1.5003.9.40.3.2.0.101', 'sv/Local-SystemConfiguration', 'critical', 'active', 'Connection To Storage Local Lost', 1700000000000, 1700000000000);
`;

// Rows that use what a version added, inserted once the catalog is at that version. A migration
// written later may add its own entry; the test below covers every version either way.
const ROWS_AT: Record<number, string> = {
  2: `INSERT INTO metadata_versions (interaction_id, version, received_at, method, data_mode, xml)
        VALUES ('6561d7a0dd2ca9b8cf1f0879', 1, 1700000000000, 'INVITE', 'complete', '<recording xmlns="urn:ietf:params:xml:ns:recording:1"/>');
      INSERT INTO correlation_ids (interaction_id, kind, value) VALUES ('6561d7a0dd2ca9b8cf1f0879', 'sipsessionid', 'cs-42');
      INSERT INTO interaction_events (interaction_id, seq, at, kind, details) VALUES ('6561d7a0dd2ca9b8cf1f0879', 1, 1700000010000, 'pause', NULL);`,
  3: `UPDATE interactions SET partial = 1 WHERE id = '6561d7a1dd2ca9b8cf1f0880';`,
  4: `UPDATE streams SET expected = 3002, loss_rate = 0.0007, est_mos = 4.3 WHERE interaction_id = '6561d7a0dd2ca9b8cf1f0879';`,
};

function tables(db: Db): string[] {
  return (db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
      AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' AND name NOT LIKE '%_fts_%' ORDER BY name`).all() as Array<{ name: string }>).map((r) => r.name);
}

function columns(db: Db, table: string): string[] {
  return (db.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as Array<{ name: string }>).map((r) => r.name);
}

/** Every row of every table, restricted to the columns that exist now, in a stable order. */
function snapshot(db: Db): Map<string, { cols: string[]; rows: unknown[] }> {
  const out = new Map<string, { cols: string[]; rows: unknown[] }>();
  for (const t of tables(db)) {
    if (t === 'schema_migrations') continue;
    const cols = columns(db, t);
    const list = cols.map((c) => `"${c}"`).join(', ');
    out.set(t, { cols, rows: db.prepare(`SELECT ${list} FROM "${t}" ORDER BY ${list}`).raw().all() });
  }
  return out;
}

for (let level = 1; level < SCHEMA_VERSION; level++) {
  test(`a catalog at schema version ${level} (${migrations[level - 1]!.name}) upgrades to ${SCHEMA_VERSION} keeping its data`, (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'sipvault-upgrade-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const db = new BetterSqlite3(join(dir, CATALOG_FILE));
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    for (let v = 1; v <= level; v++) {
      assert.equal(migrate(db, migrations.slice(0, v)), v);
      db.exec(v === 1 ? V1_ROWS : (ROWS_AT[v] ?? ''));
    }
    const before = snapshot(db);
    db.close();

    // The way a new release meets an old catalog: open it.
    const catalog = Catalog.open(dir);
    assert.equal(catalog.schemaVersion, SCHEMA_VERSION);
    catalog.close();

    const after = new BetterSqlite3(join(dir, CATALOG_FILE), { readonly: true });
    t.after(() => after.close());
    assert.equal((after.pragma('foreign_key_check') as unknown[]).length, 0, 'no dangling references');
    assert.equal(after.pragma('integrity_check', { simple: true }), 'ok');
    for (const [table, { cols, rows }] of before) {
      assert.ok(tables(after).includes(table), `table ${table} still exists`);
      const list = cols.map((c) => `"${c}"`).join(', ');
      const now = after.prepare(`SELECT ${list} FROM "${table}" ORDER BY ${list}`).raw().all();
      assert.deepEqual(now, rows, `rows of ${table} (columns of version ${level}) unchanged by the upgrade`);
    }

    // And the newest code reads them: parties, files, tags, linking to alice, search.
    const c = Catalog.open(dir);
    t.after(() => c.close());
    const it = c.interactions.get('6561d7a0dd2ca9b8cf1f0879', { kind: 'all' })!;
    assert.deepEqual([it.callingParty, it.files[0]!.key, it.tags], ['sip:100@pbx', '2023/11/14/6561d7a0dd2ca9b8cf1f0879.wav', ['SalesOrder']]);
    assert.equal(it.expiresAt, null, 'no retention was decided for calls recorded before expiry existed');
    const alice = c.users.byUsername('alice')!;
    assert.deepEqual(it.targets.map((x) => [x.username, x.direction]), [['alice', 'Outgoing']]);
    assert.deepEqual(c.interactions.list({ limit: 10 }, { kind: 'user', userId: alice.id }).items.map((i) => i.id), ['6561d7a0dd2ca9b8cf1f0879']);
    assert.deepEqual(c.interactions.list({ limit: 10, unassigned: true }, { kind: 'all' }).items.map((i) => i.id), ['6561d7a1dd2ca9b8cf1f0880']);
    assert.deepEqual(c.interactions.list({ limit: 10, q: 'bob 1555765*' }, { kind: 'all' }).items.map((i) => i.id), ['6561d7a0dd2ca9b8cf1f0879']);
  });
}
