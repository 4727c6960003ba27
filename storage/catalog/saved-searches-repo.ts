import type BetterSqlite3 from 'better-sqlite3';
import { ConflictError, InvalidInputError, NotFoundError } from './errors.js';

type Database = BetterSqlite3.Database;

export interface SavedSearch {
  id: number;
  name: string;
  /** The interaction filter as the API takes it (validated by the portal before it is saved). */
  query: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

const MAX_QUERY_BYTES = 8192;

/**
 * Seed 000 §1.8 "Save Search": named queries of one user. Every method takes the owner, and no
 * query reaches another user's rows: someone else's id answers exactly like a missing one.
 */
export class SavedSearchesRepo {
  private readonly listStmt;
  private readonly getStmt;
  private readonly insertStmt;
  private readonly updateStmt;
  private readonly deleteStmt;

  constructor(db: Database) {
    const cols = 'id, name, query, created_at, updated_at';
    this.listStmt = db.prepare(`SELECT ${cols} FROM saved_searches WHERE user_id = ? ORDER BY name COLLATE NOCASE, id`);
    this.getStmt = db.prepare(`SELECT ${cols} FROM saved_searches WHERE id = ? AND user_id = ?`);
    this.insertStmt = db.prepare('INSERT INTO saved_searches (user_id, name, query, created_at, updated_at) VALUES (?, ?, ?, ?, ?)');
    this.updateStmt = db.prepare('UPDATE saved_searches SET name = ?, query = ?, updated_at = ? WHERE id = ? AND user_id = ?');
    this.deleteStmt = db.prepare('DELETE FROM saved_searches WHERE id = ? AND user_id = ?');
  }

  list(userId: number): SavedSearch[] {
    return (this.listStmt.all(userId) as Row[]).map(toSearch);
  }

  get(userId: number, id: number): SavedSearch | null {
    const r = this.getStmt.get(id, userId) as Row | undefined;
    return r ? toSearch(r) : null;
  }

  create(userId: number, name: string, query: Record<string, unknown>): SavedSearch {
    const now = Date.now();
    const id = this.unique(name, () => Number(this.insertStmt.run(userId, checkName(name), encode(query), now, now).lastInsertRowid));
    return this.get(userId, id)!;
  }

  update(userId: number, id: number, change: { name?: string; query?: Record<string, unknown> }): SavedSearch {
    const old = this.get(userId, id);
    if (!old) throw new NotFoundError(`saved search ${id} not found`);
    const name = change.name !== undefined ? checkName(change.name) : old.name;
    const query = encode(change.query ?? old.query);
    this.unique(name, () => this.updateStmt.run(name, query, Date.now(), id, userId));
    return this.get(userId, id)!;
  }

  remove(userId: number, id: number): void {
    if (this.deleteStmt.run(id, userId).changes === 0) throw new NotFoundError(`saved search ${id} not found`);
  }

  private unique<T>(name: string, write: () => T): T {
    try {
      return write();
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new ConflictError(`you already have a saved search named "${name.trim()}"`);
      throw err;
    }
  }
}

function checkName(name: unknown): string {
  const n = typeof name === 'string' ? name.trim() : '';
  if (n === '' || n.length > 100) throw new InvalidInputError('name: 1 to 100 characters');
  return n;
}

function encode(query: Record<string, unknown>): string {
  const json = JSON.stringify(query);
  if (Buffer.byteLength(json) > MAX_QUERY_BYTES) throw new InvalidInputError(`query: at most ${MAX_QUERY_BYTES} bytes of JSON`);
  return json;
}

interface Row {
  id: number;
  name: string;
  query: string;
  created_at: number;
  updated_at: number;
}

function toSearch(r: Row): SavedSearch {
  return {
    id: r.id,
    name: r.name,
    query: JSON.parse(r.query) as Record<string, unknown>,
    createdAt: new Date(r.created_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
  };
}
