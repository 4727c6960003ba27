import type BetterSqlite3 from 'better-sqlite3';
import type { AuditEntry, AuditQuery, NewAuditEntry } from './types.js';

type Database = BetterSqlite3.Database;
type Statement = BetterSqlite3.Statement;

interface AuditRow {
  id: number;
  at: number;
  user_id: number | null;
  username: string | null;
  action: string;
  target: string | null;
  details: string | null;
  ip: string | null;
}

/** Append-only trail of who did what in the portal and CLI. */
export class AuditRepo {
  private readonly insert: Statement;
  private readonly shaped = new Map<string, Statement>();

  constructor(private readonly db: Database) {
    this.insert = db.prepare(`INSERT INTO audit (at, user_id, username, action, target, details, ip)
      VALUES (@at, @userId, @username, @action, @target, @details, @ip)`);
  }

  record(e: NewAuditEntry): number {
    return Number(
      this.insert.run({
        at: Date.now(),
        userId: e.userId,
        username: e.username,
        action: e.action,
        target: e.target,
        details: e.details == null ? null : JSON.stringify(e.details),
        ip: e.ip,
      }).lastInsertRowid,
    );
  }

  /** Newest first; `from` inclusive, `to` exclusive. */
  list(q: AuditQuery): AuditEntry[] {
    const where: string[] = [];
    const params: Record<string, number> = { limit: Math.max(1, Math.trunc(q.limit)) };
    if (q.from) {
      where.push('at >= @from');
      params.from = q.from.getTime();
    }
    if (q.to) {
      where.push('at < @to');
      params.to = q.to.getTime();
    }
    const key = where.join(' AND ');
    let stmt = this.shaped.get(key);
    if (!stmt) {
      stmt = this.db.prepare(
        `SELECT id, at, user_id, username, action, target, details, ip FROM audit
         ${where.length ? `WHERE ${key}` : ''} ORDER BY at DESC, id DESC LIMIT @limit`,
      );
      this.shaped.set(key, stmt);
    }
    return (stmt.all(params) as AuditRow[]).map((r) => ({
      id: r.id,
      at: new Date(r.at).toISOString(),
      userId: r.user_id,
      username: r.username,
      action: r.action,
      target: r.target,
      details: r.details === null ? null : (JSON.parse(r.details) as Record<string, unknown>),
      ip: r.ip,
    }));
  }
}
