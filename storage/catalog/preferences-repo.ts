import type BetterSqlite3 from 'better-sqlite3';

/** A portal user's own preferences, by key, stored as JSON (the API validates each key's shape). */
export class PreferencesRepo {
  private readonly getStmt;
  private readonly putStmt;

  constructor(db: BetterSqlite3.Database) {
    this.getStmt = db.prepare('SELECT value FROM user_preferences WHERE user_id = ? AND key = ?');
    this.putStmt = db.prepare(`INSERT INTO user_preferences (user_id, key, value, updated_at) VALUES (@userId, @key, @value, @now)
      ON CONFLICT (user_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`);
  }

  get<T = unknown>(userId: number, key: string): T | null {
    const row = this.getStmt.get(userId, key) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as T) : null;
  }

  put(userId: number, key: string, value: unknown, now = Date.now()): void {
    this.putStmt.run({ userId, key, value: JSON.stringify(value), now });
  }
}
