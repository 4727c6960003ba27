import type BetterSqlite3 from 'better-sqlite3';
import { GENESIS_HASH, rowHash, type ChainedRow } from './audit-chain.js';
import { auditMeaning } from './audit-vocabulary.js';
import type { AuditEntry, AuditQuery, AuditVerification, NewAuditEntry, Page } from './types.js';

type Database = BetterSqlite3.Database;
type Statement = BetterSqlite3.Statement;

interface AuditRow extends ChainedRow {
  prev_hash: string | null;
  hash: string | null;
}

const COLUMNS = `id, at, user_id, username, action, target, details, ip, app, kind, item, action_type, description,
  activity_type, log_type, prev_hash, hash`;

/** `%text%` for LIKE with the wildcards of the text itself taken literally. */
function contains(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * The audit trail: append-only (triggers refuse UPDATE and DELETE) and hash-chained. Every row is
 * appended here, by whichever process (portal, recorder, CLI), inside a BEGIN IMMEDIATE
 * transaction that reads the chain's end and writes the next link: two processes on the same
 * catalog take turns (busy_timeout) and can never both extend the same end.
 */
export class AuditRepo {
  private readonly insert: Statement;
  private readonly lastStmt: Statement;
  private readonly shaped = new Map<string, Statement>();
  private readonly appendTx: BetterSqlite3.Transaction<(e: NewAuditEntry) => number>;

  constructor(private readonly db: Database) {
    this.insert = db.prepare(`INSERT INTO audit (${COLUMNS}) VALUES (@id, @at, @user_id, @username, @action, @target, @details,
      @ip, @app, @kind, @item, @action_type, @description, @activity_type, @log_type, @prev_hash, @hash)`);
    this.lastStmt = db.prepare('SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1');
    this.appendTx = db.transaction((e: NewAuditEntry) => {
      const last = this.lastStmt.get() as { id: number; hash: string | null } | undefined;
      const prev = last ? (last.hash ?? GENESIS_HASH) : GENESIS_HASH;
      const m = auditMeaning(e);
      const row: ChainedRow = {
        id: (last?.id ?? 0) + 1,
        at: Date.now(),
        user_id: e.userId,
        username: e.username,
        action: e.action,
        target: e.target,
        details: e.details == null ? null : JSON.stringify(e.details),
        ip: e.ip,
        app: e.app ?? (e.userId === null && e.ip === null ? 'System' : 'Portal'),
        kind: m.kind,
        item: m.item,
        action_type: m.actionType,
        description: m.description,
        activity_type: m.activity?.type ?? null,
        log_type: m.activity?.logType ?? null,
      };
      this.insert.run({ ...row, prev_hash: prev, hash: rowHash(prev, row) });
      return row.id;
    });
  }

  /** Appends one row at the end of the chain; returns its id. */
  record(e: NewAuditEntry): number {
    return this.appendTx.immediate(e);
  }

  /** Newest first; `from` inclusive, `to` exclusive. */
  list(q: AuditQuery): AuditEntry[] {
    return this.search(q).items;
  }

  /** Newest first, a page at a time: `nextCursor` is the id to pass as `beforeId` for the next page. */
  search(q: AuditQuery): Page<AuditEntry> {
    const limit = Math.max(1, Math.trunc(q.limit));
    const { where, params } = this.filter(q);
    if (q.beforeId !== undefined) {
      where.push('id < @beforeId');
      params.beforeId = q.beforeId;
    }
    const rows = this.statement(`SELECT ${COLUMNS} FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY id DESC LIMIT @limit`).all({ ...params, limit: limit + 1 }) as AuditRow[];
    const more = rows.length > limit;
    const items = rows.slice(0, limit).map(toEntry);
    return { items, nextCursor: more ? String(items[items.length - 1]!.id) : null };
  }

  /** How many rows match (seed 000's "Total Audits: N"). */
  count(q: Omit<AuditQuery, 'limit' | 'beforeId'>): number {
    const { where, params } = this.filter(q);
    return (this.statement(`SELECT count(*) AS n FROM audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`).get(params) as { n: number }).n;
  }

  /** The newest id now (null on an empty trail): an export takes everything up to it. */
  lastId(): number | null {
    return (this.lastStmt.get() as { id: number } | undefined)?.id ?? null;
  }

  /**
   * Walks the chain from the first row: each row's hash must be SHA-256 over its predecessor's
   * hash and its own content. Reports the first row that does not fit: its content changed
   * (`hash`), rows before it were removed (`missing`), or its link does not match its predecessor
   * (`prev_hash`: the predecessor was rewritten with a new hash, or a row was slipped in).
   */
  verify(): AuditVerification {
    const walk = this.walk();
    for (;;) {
      const step = walk.next();
      if (step.done) return step.value;
    }
  }

  /** verify() a page of rows at a time, giving the event loop a turn between pages (a portal stays responsive over millions of rows). */
  async verifyAsync(): Promise<AuditVerification> {
    const walk = this.walk();
    for (;;) {
      const step = walk.next();
      if (step.done) return step.value;
      await new Promise((r) => setImmediate(r));
    }
  }

  /** Yields after each page; returns the result. Rows cannot change underneath (triggers), only be appended. */
  private *walk(page = 5000): Generator<void, AuditVerification> {
    const stmt = this.statement(`SELECT ${COLUMNS} FROM audit WHERE id > ? ORDER BY id LIMIT ?`);
    let prev = GENESIS_HASH;
    let prevId = 0;
    let rows = 0;
    const broken = (b: NonNullable<AuditVerification['firstBroken']>): AuditVerification => ({
      ok: false,
      rows,
      lastId: prevId || null,
      lastHash: prevId ? prev : null,
      firstBroken: b,
    });
    for (;;) {
      const batch = stmt.all(prevId, page) as AuditRow[];
      for (const r of batch) {
        rows++;
        const expected = rowHash(r.prev_hash ?? '', r);
        if (r.hash !== expected) return broken({ id: r.id, reason: 'hash', expected, stored: r.hash });
        if (r.prev_hash !== prev) return broken({ id: r.id, reason: r.id !== prevId + 1 ? 'missing' : 'prev_hash', expected: prev, stored: r.prev_hash });
        prev = r.hash;
        prevId = r.id;
      }
      if (batch.length < page) return { ok: true, rows, lastId: prevId || null, lastHash: prevId ? prev : null, firstBroken: null };
      yield;
    }
  }

  private filter(q: Omit<AuditQuery, 'limit' | 'beforeId'>): { where: string[]; params: Record<string, string | number> } {
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
    if (q.name !== undefined) {
      where.push(`username LIKE @name ESCAPE '\\'`);
      params.name = contains(q.name);
    }
    if (q.userId !== undefined) {
      where.push('user_id = @userId');
      params.userId = q.userId;
    }
    if (q.actions?.length) {
      const any = q.actions.map((a, i) => {
        if (a.endsWith('.*')) {
          params[`action${i}`] = `${a.slice(0, -2).replace(/[\\%_]/g, (c) => `\\${c}`)}.%`;
          return `action LIKE @action${i} ESCAPE '\\'`;
        }
        params[`action${i}`] = a;
        return `action = @action${i}`;
      });
      where.push(`(${any.join(' OR ')})`);
    }
    for (const k of ['kind', 'item', 'target'] as const) {
      const v = q[k];
      if (v !== undefined) {
        where.push(`${k} = @${k}`);
        params[k] = v;
      }
    }
    if (q.ids?.length) {
      const list = q.ids.map((id, i) => {
        params[`id${i}`] = id;
        return `@id${i}`;
      });
      where.push(`id IN (${list.join(', ')})`);
    }
    if (q.text !== undefined) {
      where.push(`(description LIKE @text ESCAPE '\\' OR details LIKE @text ESCAPE '\\' OR target LIKE @text ESCAPE '\\')`);
      params.text = contains(q.text);
    }
    return { where, params };
  }

  private statement(sql: string): Statement {
    let stmt = this.shaped.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.shaped.set(sql, stmt);
    }
    return stmt;
  }
}

function toEntry(r: AuditRow): AuditEntry {
  return {
    id: r.id,
    at: new Date(r.at).toISOString(),
    userId: r.user_id,
    username: r.username,
    action: r.action,
    target: r.target,
    details: r.details === null ? null : (JSON.parse(r.details) as Record<string, unknown>),
    ip: r.ip,
    app: r.app === 'System' ? 'System' : 'Portal',
    kind: r.kind ?? '',
    item: r.item ?? '',
    actionType: r.action_type ?? '',
    description: r.description ?? '',
    hash: r.hash ?? '',
  };
}
