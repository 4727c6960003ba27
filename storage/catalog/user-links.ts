import type BetterSqlite3 from 'better-sqlite3';
import { aorUserPart } from './party.js';
import type { Direction } from './types.js';

type Database = BetterSqlite3.Database;
type Statement = BetterSqlite3.Statement;

type Side = 'calling' | 'called' | 'other';

/**
 * Links a call to every portal user whose extension (or address) is one of its parties: one
 * interaction_users row per targeted user, with the Direction seen from that user (seed 000
 * §1.4.6): Outgoing when the user is the calling party, Incoming when the called party, None
 * when the user is only another participant (conference, bridge). A call matching nobody stays
 * unassigned. The interaction's own `direction` column takes the first target's (lowest user id),
 * so that readers of the row without a viewer see a meaningful value.
 */
export class UserLinks {
  private readonly parties: Statement;
  private readonly participants: Statement;
  private readonly matchUsers: Statement;
  private readonly removeLinks: Statement;
  private readonly insertLink: Statement;
  private readonly setDirection: Statement;
  private readonly callsOfExtensions: Statement;

  constructor(db: Database) {
    this.parties = db.prepare('SELECT calling_party, called_party FROM interactions WHERE id = ?');
    this.participants = db.prepare('SELECT aor, role FROM participants WHERE interaction_id = ?');
    this.matchUsers = db.prepare(
      'SELECT user_id, extension FROM user_extensions WHERE extension IN (SELECT value FROM json_each(?))',
    );
    this.removeLinks = db.prepare('DELETE FROM interaction_users WHERE interaction_id = ?');
    this.insertLink = db.prepare('INSERT INTO interaction_users (interaction_id, user_id, direction) VALUES (?, ?, ?)');
    this.setDirection = db.prepare('UPDATE interactions SET direction = ? WHERE id = ?');
    const ext = '(SELECT value FROM json_each(@ext))';
    this.callsOfExtensions = db.prepare(`
      SELECT id FROM interactions WHERE calling_user IN ${ext} OR called_user IN ${ext}
                                     OR calling_party IN ${ext} OR called_party IN ${ext}
      UNION SELECT interaction_id FROM participants WHERE aor_user IN ${ext} OR aor IN ${ext}`);
  }

  /** Recomputes the links of one call from its current parties; returns how many users it has. */
  link(id: string): number {
    const row = this.parties.get(id) as { calling_party: string | null; called_party: string | null } | undefined;
    if (!row) return 0;
    const sides = new Map<string, Set<Side>>();
    const add = (value: string | null, side: Side) => {
      for (const key of addressKeys(value)) {
        const k = key.toLowerCase();
        if (!sides.has(k)) sides.set(k, new Set());
        sides.get(k)!.add(side);
      }
    };
    add(row.calling_party, 'calling');
    add(row.called_party, 'called');
    for (const p of this.participants.all(id) as Array<{ aor: string | null; role: Side }>) add(p.aor, p.role);

    const byUser = new Map<number, Set<Side>>();
    const matches = this.matchUsers.all(JSON.stringify([...sides.keys()])) as Array<{ user_id: number; extension: string }>;
    for (const m of matches) {
      const s = byUser.get(m.user_id) ?? new Set<Side>();
      for (const side of sides.get(m.extension.toLowerCase()) ?? []) s.add(side);
      byUser.set(m.user_id, s);
    }
    this.removeLinks.run(id);
    const users = [...byUser.keys()].sort((a, b) => a - b);
    for (const u of users) this.insertLink.run(id, u, directionOf(byUser.get(u)!));
    // Without a target there is nobody to be relative to: the writer's value (the recorder's None) stays.
    if (users.length) this.setDirection.run(directionOf(byUser.get(users[0]!)!), id);
    return users.length;
  }

  /** Re-links every call one of `extensions` appears in (a user was added or got new extensions). */
  linkExtensions(extensions: string[]): number {
    if (extensions.length === 0) return 0;
    const ids = this.callsOfExtensions.all({ ext: JSON.stringify(extensions) }) as Array<{ id: string }>;
    for (const { id } of ids) this.link(id);
    return ids.length;
  }
}

function directionOf(sides: Set<Side>): Direction {
  if (sides.has('calling')) return 'Outgoing';
  if (sides.has('called')) return 'Incoming';
  return 'None';
}

/** The forms under which an address can be a user's extension: as sent, without scheme, user part. */
function addressKeys(value: string | null): string[] {
  if (!value) return [];
  const v = value.trim();
  const out = new Set<string>([v, v.replace(/^(sips?|tel):/i, '')]);
  const user = aorUserPart(v);
  if (user) out.add(user);
  return [...out];
}
