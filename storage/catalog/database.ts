import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { migrate } from './migrate.js';

export type Database = BetterSqlite3.Database;

export const CATALOG_FILE = 'catalog.sqlite';

/**
 * Opens (creating when missing) `<dataDir>/catalog.sqlite` and brings its schema up to date.
 * The recorder and the portal are separate processes sharing this file: WAL lets readers run
 * beside the one writer, and busy_timeout makes a writer wait for the other instead of failing.
 */
export function openDatabase(dataDir: string): Database {
  mkdirSync(dataDir, { recursive: true });
  const db = new BetterSqlite3(join(dataDir, CATALOG_FILE));
  try {
    db.pragma('busy_timeout = 5000');
    db.pragma('journal_mode = WAL');
    // NORMAL is durable across application crashes in WAL mode; only a power cut can lose the
    // last transactions, never corrupt the file.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    // 32 MiB of page cache (the default is 2 MiB): a catalog of millions of calls keeps its
    // indexes' upper levels and recent pages in memory instead of re-reading them per query.
    db.pragma('cache_size = -32768');
    migrate(db);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}
