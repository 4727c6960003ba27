import type BetterSqlite3 from 'better-sqlite3';
import { CatalogVersionError } from './errors.js';
import { migrations, type Migration } from './migrations/index.js';

type Database = BetterSqlite3.Database;

/** The schema version this code writes; a catalog above it is refused. */
export const SCHEMA_VERSION = latestVersion(migrations);

function latestVersion(list: readonly Migration[]): number {
  list.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`catalog migration list is broken: entry ${i} has version ${m.version}`);
  });
  return list.length;
}

export function schemaVersion(db: Database): number {
  const row = db.prepare('SELECT coalesce(max(version), 0) AS v FROM schema_migrations').get() as { v: number };
  return row.v;
}

/**
 * Applies every pending migration, each in its own IMMEDIATE transaction that re-reads the
 * version first: when the recorder and the portal start together on an empty catalog, one of
 * them migrates and the other waits (busy_timeout) and then finds nothing to do.
 */
export function migrate(db: Database, list: readonly Migration[] = migrations): number {
  const latest = latestVersion(list);
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
  ) STRICT`);
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  const refuseNewer = (v: number) => {
    if (v > latest) {
      throw new CatalogVersionError(
        `catalog schema version ${v} is newer than this sipvault supports (${latest}); ` +
          'run the sipvault release that wrote it, or restore a catalog backup made by this release',
      );
    }
  };
  refuseNewer(schemaVersion(db));
  for (const m of list) {
    const apply = db.transaction(() => {
      const current = schemaVersion(db);
      refuseNewer(current);
      if (current >= m.version) return;
      m.up(db);
      record.run(m.version, m.name, new Date().toISOString());
    });
    apply.immediate();
  }
  return schemaVersion(db);
}
