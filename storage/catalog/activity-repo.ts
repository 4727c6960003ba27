import type BetterSqlite3 from 'better-sqlite3';
import { InvalidCursorError } from './errors.js';
import type { ActivityType, LogType } from './audit-vocabulary.js';
import type { ActivityEntry, ActivityQuery, Page } from './types.js';

interface ActivityRow {
  source: 'audit' | 'alarm';
  source_id: number;
  at: number;
  log_type: LogType;
  activity_type: ActivityType;
  description: string;
  subject: string;
}

function contains(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * Seed 000's System Activity Log: the system_activity view joins the audit rows of system
 * activities (retention runs, storage tests, configuration changes) with the alarm history.
 * Newest first; the cursor is the (time, source, id) of the last row of the previous page.
 */
export class ActivityRepo {
  private readonly shaped = new Map<string, BetterSqlite3.Statement>();

  constructor(private readonly db: BetterSqlite3.Database) {}

  list(q: ActivityQuery): Page<ActivityEntry> & { total: number } {
    const where: string[] = [];
    const params: Record<string, string | number> = {};
    if (q.from) {
      where.push('at >= @from');
      params.from = q.from.getTime();
    }
    if (q.to) {
      where.push('at < @to');
      params.to = q.to.getTime();
    }
    if (q.logType !== undefined) {
      where.push('log_type = @logType');
      params.logType = q.logType;
    }
    if (q.activityType !== undefined) {
      where.push('activity_type = @activityType');
      params.activityType = q.activityType;
    }
    if (q.text !== undefined) {
      where.push(`description LIKE @text ESCAPE '\\'`);
      params.text = contains(q.text);
    }
    const filtered = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = (this.statement(`SELECT count(*) AS n FROM system_activity ${filtered}`).get(params) as { n: number }).n;
    const page = [...where];
    if (q.cursor !== undefined) {
      const m = /^(\d+)\.(audit|alarm)\.(\d+)$/.exec(q.cursor);
      if (!m) throw new InvalidCursorError();
      page.push('(at, source, source_id) < (@cAt, @cSource, @cId)');
      Object.assign(params, { cAt: Number(m[1]), cSource: m[2]!, cId: Number(m[3]) });
    }
    const limit = Math.max(1, Math.trunc(q.limit));
    const rows = this.statement(`SELECT source, source_id, at, log_type, activity_type, description, subject FROM system_activity
      ${page.length ? `WHERE ${page.join(' AND ')}` : ''} ORDER BY at DESC, source DESC, source_id DESC LIMIT @limit`).all({
      ...params,
      limit: limit + 1,
    }) as ActivityRow[];
    const more = rows.length > limit;
    const kept = rows.slice(0, limit);
    const last = kept[kept.length - 1];
    return {
      items: kept.map((r) => ({
        id: `${r.source}-${r.source_id}`,
        at: new Date(r.at).toISOString(),
        logType: r.log_type,
        activityType: r.activity_type,
        description: r.description,
        subject: r.subject,
      })),
      nextCursor: more && last ? `${last.at}.${last.source}.${last.source_id}` : null,
      total,
    };
  }

  private statement(sql: string): BetterSqlite3.Statement {
    let stmt = this.shaped.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.shaped.set(sql, stmt);
    }
    return stmt;
  }
}
