import type BetterSqlite3 from 'better-sqlite3';
import type { Migration } from './index.js';

// Streams and media files are looked up by their primary key (interaction_id, ...) only, yet as
// rowid tables they store every key twice: in the table and in its automatic unique index. As
// WITHOUT ROWID tables the key is the table: about 120 bytes less per call (measured with
// bench/catalog-scale). Participants stay rowid tables: their three secondary indexes would each
// carry the 24-character interaction id instead of an integer rowid, which costs more than it saves.
//
// The rebuild works from the definitions the catalog holds now (sqlite_schema), not from a copy
// written here, so columns and indexes that other versions added are carried over unchanged.
const TABLES = ['streams', 'media_files'];

function rebuildWithoutRowid(db: BetterSqlite3.Database, table: string): void {
  const def = db.prepare(`SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?`).get(table) as { sql: string } | undefined;
  if (!def) throw new Error(`catalog migration 8: table ${table} is missing`);
  if (/WITHOUT\s+ROWID\s*$/i.test(def.sql)) return;
  const indexes = db.prepare(`SELECT sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL`).all(table) as Array<{ sql: string }>;
  const head = new RegExp(`^CREATE TABLE\\s+("?)${table}\\1\\s*\\(`, 'i');
  if (!head.test(def.sql)) throw new Error(`catalog migration 8: unexpected definition of ${table}`);
  const rebuilt = def.sql.replace(head, `CREATE TABLE ${table}_rebuilt (`).replace(/\)\s*STRICT\s*$/i, ') STRICT, WITHOUT ROWID');
  if (!/WITHOUT ROWID$/.test(rebuilt)) throw new Error(`catalog migration 8: ${table} is not a STRICT table as expected`);
  const columns = (db.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as Array<{ name: string }>).map((c) => `"${c.name}"`).join(', ');
  db.exec(rebuilt);
  db.exec(`INSERT INTO ${table}_rebuilt (${columns}) SELECT ${columns} FROM ${table}`);
  db.exec(`DROP TABLE ${table}`);
  db.exec(`ALTER TABLE ${table}_rebuilt RENAME TO ${table}`);
  for (const i of indexes) db.exec(i.sql);
}

export const compactChildren: Migration = {
  version: 8,
  name: 'streams and media files as WITHOUT ROWID tables (smaller catalog)',
  up(db) {
    for (const t of TABLES) rebuildWithoutRowid(db, t);
  },
};
