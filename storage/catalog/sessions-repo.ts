import { createHash, randomBytes } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import type { NewSession, SessionTouch } from './types.js';

type Database = BetterSqlite3.Database;
type Statement = BetterSqlite3.Statement;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The catalog keeps only the SHA-256 of a session token. */
function tokenHash(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}

/** Portal login sessions with an idle and an absolute timeout. */
export class SessionsRepo {
  private readonly insert: Statement;
  private readonly touchStmt: Statement;
  private readonly deleteStmt: Statement;
  private readonly purgeStmt: Statement;
  private readonly deleteForUserStmt: Statement;

  constructor(db: Database) {
    this.insert = db.prepare(`INSERT INTO portal_sessions
      (id_hash, user_id, csrf_token, idle_ms, created_at, last_seen_at, expires_at, absolute_expires_at)
      VALUES (@idHash, @userId, @csrf, @idleMs, @now, @now, @expiresAt, @absoluteExpiresAt)`);
    this.touchStmt = db.prepare(`UPDATE portal_sessions
      SET last_seen_at = @now, expires_at = min(@now + idle_ms, absolute_expires_at)
      WHERE id_hash = @idHash AND expires_at > @now
      RETURNING user_id AS userId, csrf_token AS csrfToken`);
    this.deleteStmt = db.prepare('DELETE FROM portal_sessions WHERE id_hash = ?');
    this.purgeStmt = db.prepare('DELETE FROM portal_sessions WHERE expires_at <= ?');
    this.deleteForUserStmt = db.prepare('DELETE FROM portal_sessions WHERE user_id = ?');
  }

  create(userId: number, idleMinutes: number, absoluteHours = 12): NewSession {
    const now = Date.now();
    const id = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(32).toString('base64url');
    const absoluteExpiresAt = now + absoluteHours * HOUR;
    const idleMs = Math.max(1, Math.round(idleMinutes * MINUTE));
    const expiresAt = Math.min(now + idleMs, absoluteExpiresAt);
    this.purgeStmt.run(now);
    this.insert.run({ idHash: tokenHash(id), userId, csrf: csrfToken, idleMs, now, expiresAt, absoluteExpiresAt });
    return { id, csrfToken, expiresAt: new Date(expiresAt) };
  }

  /** The session's user and CSRF token, pushing the idle expiry forward; null once expired. */
  touch(id: string): SessionTouch | null {
    const idHash = tokenHash(id);
    const row = this.touchStmt.get({ idHash, now: Date.now() }) as SessionTouch | undefined;
    if (!row) {
      this.deleteStmt.run(idHash);
      return null;
    }
    return row;
  }

  delete(id: string): void {
    this.deleteStmt.run(tokenHash(id));
  }

  /** Ends every session of a user (password reset, account change). */
  deleteForUser(userId: number): number {
    return this.deleteForUserStmt.run(userId).changes;
  }
}
