import type BetterSqlite3 from 'better-sqlite3';

interface SettingRow {
  key: string;
  value: string;
}

export interface SettingChange<T> {
  before: T | undefined;
  after: T | undefined;
  /** settings_version after the change. */
  version: number;
}

/**
 * Configuration changed through the API, stored as JSON per key: overrides of the YAML config
 * file (config/overrides.ts applies them). Every change bumps one version number, so a running
 * component sees that something changed with a single-row read and re-reads only then.
 */
export class SettingsRepo {
  private readonly versionStmt: BetterSqlite3.Statement;
  private readonly allStmt: BetterSqlite3.Statement;
  private readonly getStmt: BetterSqlite3.Statement;
  private readonly putStmt: BetterSqlite3.Statement;
  private readonly deleteStmt: BetterSqlite3.Statement;
  private readonly bumpStmt: BetterSqlite3.Statement;
  private readonly changeTx: BetterSqlite3.Transaction<(key: string, fn: (v: unknown) => unknown, by: string | null) => SettingChange<unknown>>;

  constructor(db: BetterSqlite3.Database) {
    this.versionStmt = db.prepare('SELECT version FROM settings_version WHERE id = 1');
    this.allStmt = db.prepare('SELECT key, value FROM settings ORDER BY key');
    this.getStmt = db.prepare('SELECT key, value FROM settings WHERE key = ?');
    this.putStmt = db.prepare(`INSERT INTO settings (key, value, updated_at, updated_by) VALUES (@key, @value, @now, @by)
      ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, updated_by = excluded.updated_by`);
    this.deleteStmt = db.prepare('DELETE FROM settings WHERE key = ?');
    this.bumpStmt = db.prepare('UPDATE settings_version SET version = version + 1 WHERE id = 1 RETURNING version');
    this.changeTx = db.transaction((key: string, fn: (v: unknown) => unknown, by: string | null) => {
      const before = this.get(key);
      const after = fn(before === undefined ? undefined : structuredClone(before));
      if (after === undefined) this.deleteStmt.run(key);
      else this.putStmt.run({ key, value: JSON.stringify(after), now: Date.now(), by });
      const { version } = this.bumpStmt.get() as { version: number };
      return { before, after, version };
    });
  }

  version(): number {
    return (this.versionStmt.get() as { version: number }).version;
  }

  get<T = unknown>(key: string): T | undefined {
    const row = this.getStmt.get(key) as SettingRow | undefined;
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  /** Every stored setting by key. */
  snapshot(): Record<string, unknown> {
    return Object.fromEntries((this.allStmt.all() as SettingRow[]).map((r) => [r.key, JSON.parse(r.value) as unknown]));
  }

  /**
   * Replaces the value of `key` by `fn(current)` (undefined removes it) in one IMMEDIATE
   * transaction: two writers never lose each other's change. `fn` may throw to change nothing.
   */
  change<T>(key: string, fn: (current: T | undefined) => T | undefined, by: string | null): SettingChange<T> {
    return this.changeTx.immediate(key, fn as (v: unknown) => unknown, by) as SettingChange<T>;
  }
}
