import type BetterSqlite3 from 'better-sqlite3';
import { ConflictError, InvalidInputError, NotFoundError } from './errors.js';

type Database = BetterSqlite3.Database;

export interface TagDefinition {
  name: string;
  description: string;
  /** Interactions carrying it. */
  uses: number;
  createdAt: string;
}

const MAX_NAME = 64;
const MAX_DESCRIPTION = 500;

function checkName(name: unknown, field = 'name'): string {
  const n = typeof name === 'string' ? name.trim() : '';
  if (n === '' || n.length > MAX_NAME) throw new InvalidInputError(`${field}: a tag name is 1 to ${MAX_NAME} characters`);
  return n;
}

function checkDescription(d: unknown): string {
  const v = typeof d === 'string' ? d.trim() : '';
  if (v.length > MAX_DESCRIPTION) throw new InvalidInputError(`description: at most ${MAX_DESCRIPTION} characters`);
  return v;
}

/**
 * The tag vocabulary (seed 000 §1.14 "Manage Tags") and the assignment of its tags to calls.
 * Names and descriptions are stored as given (no markup is interpreted anywhere).
 */
export class TagsRepo {
  private readonly listStmt;
  private readonly getStmt;
  private readonly insertStmt;
  private readonly deleteStmt;
  private readonly clearCall;
  private readonly assign;

  constructor(private readonly db: Database) {
    const select = `SELECT t.name, t.description, t.created_at,
      (SELECT count(*) FROM interaction_tags it WHERE it.tag = t.name) AS uses FROM tags t`;
    this.listStmt = db.prepare(`${select} ORDER BY t.name COLLATE NOCASE`);
    this.getStmt = db.prepare(`${select} WHERE t.name = ?`);
    this.insertStmt = db.prepare('INSERT INTO tags (name, description, created_at) VALUES (?, ?, ?)');
    this.deleteStmt = db.prepare('DELETE FROM tags WHERE name = ?');
    this.clearCall = db.prepare('DELETE FROM interaction_tags WHERE interaction_id = ?');
    this.assign = db.prepare('INSERT OR IGNORE INTO interaction_tags (interaction_id, tag) VALUES (?, ?)');
  }

  list(): TagDefinition[] {
    return (this.listStmt.all() as Row[]).map(toTag);
  }

  get(name: string): TagDefinition | null {
    const r = this.getStmt.get(name) as Row | undefined;
    return r ? toTag(r) : null;
  }

  create(name: string, description = ''): TagDefinition {
    const n = checkName(name);
    const d = checkDescription(description);
    try {
      this.insertStmt.run(n, d, Date.now());
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new ConflictError(`tag "${n}" already exists`);
      throw err;
    }
    return this.get(n)!;
  }

  /** Renames (calls keep the tag under its new name) and/or redescribes a tag. */
  update(name: string, change: { name?: string; description?: string }): TagDefinition {
    return this.db.transaction(() => {
      const old = this.get(name);
      if (!old) throw new NotFoundError(`tag "${name}" not found`);
      const n = change.name !== undefined ? checkName(change.name) : old.name;
      const d = change.description !== undefined ? checkDescription(change.description) : old.description;
      if (n !== old.name && this.get(n)) throw new ConflictError(`tag "${n}" already exists`);
      this.db.prepare('UPDATE tags SET name = ?, description = ? WHERE name = ?').run(n, d, old.name);
      if (n !== old.name) {
        // A call that somehow carries both names keeps one.
        this.db.prepare('UPDATE OR IGNORE interaction_tags SET tag = ? WHERE tag = ?').run(n, old.name);
        this.db.prepare('DELETE FROM interaction_tags WHERE tag = ?').run(old.name);
      }
      return this.get(n)!;
    })();
  }

  /** Removes a tag from the vocabulary; a tag still on calls is refused (seed 000's proposal). */
  remove(name: string): void {
    const t = this.get(name);
    if (!t) throw new NotFoundError(`tag "${name}" not found`);
    if (t.uses > 0) throw new ConflictError(`tag "${name}" is on ${t.uses} call(s); remove it from them first`);
    this.deleteStmt.run(name);
  }

  /** Throws naming the first name that is not in the vocabulary. */
  requireDefined(names: string[], field = 'tag'): string[] {
    return names.map((raw) => {
      const n = checkName(raw, field);
      if (!this.getStmt.get(n)) throw new InvalidInputError(`${field}: "${n}" is not a defined tag (create it under Manage Tags first)`);
      return n;
    });
  }

  /**
   * Seed 000 §1.14: "Setting tag(s) for multiple calls automatically overwrites any previously
   * associated tags": each call ends up with exactly `tags`, all calls in one transaction.
   */
  replaceOn(ids: string[], tags: string[]): void {
    const names = this.requireDefined(tags, 'tags');
    this.db.transaction(() => {
      for (const id of ids) {
        this.clearCall.run(id);
        for (const t of names) this.assign.run(id, t);
      }
    })();
  }
}

interface Row {
  name: string;
  description: string;
  created_at: number;
  uses: number;
}

function toTag(r: Row): TagDefinition {
  return { name: r.name, description: r.description, uses: r.uses, createdAt: new Date(r.created_at).toISOString() };
}
