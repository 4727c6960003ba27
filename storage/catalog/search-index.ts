import type BetterSqlite3 from 'better-sqlite3';
import { InvalidInputError } from './errors.js';

type Database = BetterSqlite3.Database;
type Statement = BetterSqlite3.Statement;

const SCHEME = /\b(?:sips?|tel):/gi;

/**
 * The FTS5 index of parties and notes (interactions_fts, keyed by the interactions rowid). The
 * catalog refreshes a call's entry after each write that changes its parties or notes: one
 * delete + insert per write instead of a trigger per child row.
 */
export class SearchIndex {
  private readonly source: Statement;
  private readonly remove: Statement;
  private readonly insert: Statement;

  constructor(db: Database) {
    this.source = db.prepare(`SELECT i.rowid AS rid, i.calling_party, i.called_party,
        (SELECT group_concat(coalesce(p.name, '') || ' ' || coalesce(p.aor, ''), ' ')
           FROM participants p WHERE p.interaction_id = i.id) AS participants,
        (SELECT group_concat(n.text, ' ') FROM interaction_notes n WHERE n.interaction_id = i.id) AS notes
      FROM interactions i WHERE i.id = ?`);
    this.remove = db.prepare('DELETE FROM interactions_fts WHERE rowid = ?');
    this.insert = db.prepare('INSERT INTO interactions_fts (rowid, parties, notes) VALUES (?, ?, ?)');
  }

  /** Rewrites the entry of `id` from its current parties, participants and notes. */
  refresh(id: string, isNew = false): void {
    const r = this.source.get(id) as
      | { rid: number; calling_party: string | null; called_party: string | null; participants: string | null; notes: string | null }
      | undefined;
    if (!r) return;
    if (!isNew) this.remove.run(r.rid);
    const parties = [r.calling_party, r.called_party, r.participants].filter(Boolean).join(' ').replace(SCHEME, '');
    this.insert.run(r.rid, parties, r.notes ?? '');
  }

  /** Drops the entry of `id` (a tombstone whose metadata was removed is no longer findable by it). */
  clear(id: string): void {
    const r = this.source.get(id) as { rid: number } | undefined;
    if (r) this.remove.run(r.rid);
  }
}

/**
 * An FTS5 MATCH expression from what an operator typed: every word must match, `word*` is a
 * prefix, quotes and FTS operators in the input are taken literally (each word is quoted), so no
 * input can make a syntax error. `column` restricts the match to parties or notes.
 */
export function matchExpression(text: string, what: string, column?: 'parties' | 'notes'): string {
  const terms = text
    .split(/\s+/)
    .map((w) => {
      const prefix = w.endsWith('*');
      const core = w.replace(/\*+$/, '').replace(/"/g, ' ').trim();
      return core === '' ? '' : `"${core}"${prefix ? '*' : ''}`;
    })
    .filter((t) => t !== '');
  if (terms.length === 0) throw new InvalidInputError(`${what} has no word to search for`);
  const expr = terms.join(' AND ');
  return column ? `${column} : (${expr})` : expr;
}
