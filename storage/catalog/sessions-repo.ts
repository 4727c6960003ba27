import { createHash, randomBytes } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import type { NewSession, SessionInfo, SessionTouch } from './types.js';

type Database = BetterSqlite3.Database;
type Statement = BetterSqlite3.Statement;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The catalog keeps only the SHA-256 of a session token. */
function tokenHash(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}

export interface SessionMeta {
  ip?: string | null;
  userAgent?: string | null;
  /** Epoch ms; the portal passes its clock. */
  now?: number;
}

interface SessionRow {
  public_id: string;
  user_id: number;
  username: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  absolute_expires_at: number;
  ip: string | null;
  user_agent: string | null;
}

const SELECT_INFO = `SELECT s.public_id, s.user_id, u.username, s.created_at, s.last_seen_at, s.expires_at,
  s.absolute_expires_at, s.ip, s.user_agent FROM portal_sessions s JOIN users u ON u.id = s.user_id`;

/**
 * Portal login sessions with an idle and an absolute timeout. A session has two names: the
 * cookie token (a secret, stored as a hash) and a public id the session list shows and
 * termination takes.
 */
export class SessionsRepo {
  private readonly insert: Statement;
  private readonly touchStmt: Statement;
  private readonly peekStmt: Statement;
  private readonly deleteStmt: Statement;
  private readonly purgeStmt: Statement;
  private readonly deleteForUserStmt: Statement;
  private readonly listAll: Statement;
  private readonly listForUser: Statement;
  private readonly deleteByPublic: Statement;

  constructor(db: Database) {
    this.insert = db.prepare(`INSERT INTO portal_sessions
      (id_hash, public_id, user_id, csrf_token, idle_ms, created_at, last_seen_at, expires_at, absolute_expires_at, ip, user_agent)
      VALUES (@idHash, @publicId, @userId, @csrf, @idleMs, @now, @now, @expiresAt, @absoluteExpiresAt, @ip, @userAgent)`);
    this.touchStmt = db.prepare(`UPDATE portal_sessions
      SET last_seen_at = @now, expires_at = min(@now + idle_ms, absolute_expires_at)
      WHERE id_hash = @idHash AND expires_at > @now
      RETURNING user_id AS userId, csrf_token AS csrfToken, public_id AS publicId`);
    this.peekStmt = db.prepare(`SELECT user_id AS userId, csrf_token AS csrfToken, public_id AS publicId FROM portal_sessions
      WHERE id_hash = @idHash AND expires_at > @now`);
    this.deleteStmt = db.prepare('DELETE FROM portal_sessions WHERE id_hash = ?');
    this.purgeStmt = db.prepare('DELETE FROM portal_sessions WHERE expires_at <= ?');
    this.deleteForUserStmt = db.prepare('DELETE FROM portal_sessions WHERE user_id = ?');
    this.listAll = db.prepare(`${SELECT_INFO} WHERE s.expires_at > ? ORDER BY s.last_seen_at DESC`);
    this.listForUser = db.prepare(`${SELECT_INFO} WHERE s.expires_at > ? AND s.user_id = ? ORDER BY s.last_seen_at DESC`);
    this.deleteByPublic = db.prepare('DELETE FROM portal_sessions WHERE public_id = ? RETURNING user_id AS userId');
  }

  create(userId: number, idleMinutes: number, absoluteHours = 12, meta: SessionMeta = {}): NewSession {
    const now = meta.now ?? Date.now();
    const id = randomBytes(32).toString('base64url');
    const publicId = randomBytes(12).toString('base64url');
    const csrfToken = randomBytes(32).toString('base64url');
    const absoluteExpiresAt = now + absoluteHours * HOUR;
    const idleMs = Math.max(1, Math.round(idleMinutes * MINUTE));
    const expiresAt = Math.min(now + idleMs, absoluteExpiresAt);
    this.purgeStmt.run(now);
    this.insert.run({
      idHash: tokenHash(id),
      publicId,
      userId,
      csrf: csrfToken,
      idleMs,
      now,
      expiresAt,
      absoluteExpiresAt,
      ip: meta.ip ?? null,
      userAgent: meta.userAgent ? meta.userAgent.slice(0, 256) : null,
    });
    return { id, publicId, csrfToken, expiresAt: new Date(expiresAt) };
  }

  /** The session's user and CSRF token, pushing the idle expiry forward; null once expired. */
  touch(id: string, now = Date.now()): SessionTouch | null {
    const idHash = tokenHash(id);
    const row = this.touchStmt.get({ idHash, now }) as SessionTouch | undefined;
    if (!row) {
      this.deleteStmt.run(idHash);
      return null;
    }
    return row;
  }

  /**
   * The session if it is live, without counting the request as activity: a page refreshing
   * itself (live rows, active calls) must not keep an unattended browser signed in.
   */
  peek(id: string, now = Date.now()): SessionTouch | null {
    return (this.peekStmt.get({ idHash: tokenHash(id), now }) as SessionTouch | undefined) ?? null;
  }

  delete(id: string): void {
    this.deleteStmt.run(tokenHash(id));
  }

  /** Ends every session of a user (password reset, account change). */
  deleteForUser(userId: number): number {
    return this.deleteForUserStmt.run(userId).changes;
  }

  /** Live sessions, most recently used first: of one user, or of everybody (userId null). */
  list(userId: number | null, now = Date.now()): SessionInfo[] {
    const rows = (userId === null ? this.listAll.all(now) : this.listForUser.all(now, userId)) as SessionRow[];
    return rows.map((r) => ({
      id: r.public_id,
      userId: r.user_id,
      username: r.username,
      createdAt: new Date(r.created_at).toISOString(),
      lastSeenAt: new Date(r.last_seen_at).toISOString(),
      expiresAt: new Date(r.expires_at).toISOString(),
      absoluteExpiresAt: new Date(r.absolute_expires_at).toISOString(),
      ip: r.ip,
      userAgent: r.user_agent,
    }));
  }

  /** Ends the session with this public id; its user's id, or null when there was none. */
  terminate(publicId: string): number | null {
    const row = this.deleteByPublic.get(publicId) as { userId: number } | undefined;
    return row ? row.userId : null;
  }
}
