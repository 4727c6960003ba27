import type BetterSqlite3 from 'better-sqlite3';
import { ConflictError, InvalidInputError, NotFoundError } from './errors.js';
import type { Group, GroupInput } from './types.js';

type Database = BetterSqlite3.Database;
type Statement = BetterSqlite3.Statement;

interface GroupRow {
  id: number;
  name: string;
  description: string;
  created_at: number;
  updated_at: number;
  members: string;
  managers: string;
}

const SELECT_GROUP = `SELECT g.id, g.name, g.description, g.created_at, g.updated_at,
  (SELECT json_group_array(user_id) FROM (SELECT user_id FROM group_members m WHERE m.group_id = g.id ORDER BY user_id)) AS members,
  (SELECT json_group_array(user_id) FROM (SELECT user_id FROM group_managers k WHERE k.group_id = g.id ORDER BY user_id)) AS managers
  FROM portal_groups g`;

/**
 * Groups of users (seed 003 §A.5): members, and the users who manage the group. A manager whose
 * profile has the scope "Access User's Own and Group Calls" sees the members' calls.
 */
export class GroupsRepo {
  private readonly selectAll: Statement;
  private readonly selectById: Statement;
  private readonly byName: Statement;
  private readonly insert: Statement;
  private readonly updateRow: Statement;
  private readonly deleteRow: Statement;
  private readonly clearMembers: Statement;
  private readonly addMember: Statement;
  private readonly clearManagers: Statement;
  private readonly addManager: Statement;
  private readonly existingUsers: Statement;

  constructor(private readonly db: Database) {
    this.selectAll = db.prepare(`${SELECT_GROUP} ORDER BY g.name`);
    this.selectById = db.prepare(`${SELECT_GROUP} WHERE g.id = ?`);
    this.byName = db.prepare('SELECT id FROM portal_groups WHERE name = ?');
    this.insert = db.prepare(`INSERT INTO portal_groups (name, description, created_at, updated_at) VALUES (@name, @description, @now, @now)`);
    this.updateRow = db.prepare('UPDATE portal_groups SET name = @name, description = @description, updated_at = @now WHERE id = @id');
    this.deleteRow = db.prepare('DELETE FROM portal_groups WHERE id = ?');
    this.clearMembers = db.prepare('DELETE FROM group_members WHERE group_id = ?');
    this.addMember = db.prepare('INSERT INTO group_members (group_id, user_id) VALUES (?, ?)');
    this.clearManagers = db.prepare('DELETE FROM group_managers WHERE group_id = ?');
    this.addManager = db.prepare('INSERT INTO group_managers (group_id, user_id) VALUES (?, ?)');
    this.existingUsers = db.prepare('SELECT id FROM users WHERE id IN (SELECT value FROM json_each(?))');
  }

  list(): Group[] {
    return (this.selectAll.all() as GroupRow[]).map(toGroup);
  }

  get(id: number): Group | null {
    const row = this.selectById.get(id) as GroupRow | undefined;
    return row ? toGroup(row) : null;
  }

  create(input: GroupInput): Group {
    return this.db.transaction(() => {
      const g = this.validate(input);
      if (this.byName.get(g.name)) throw new ConflictError(`name: a group named "${g.name}" exists`);
      const id = Number(this.insert.run({ name: g.name, description: g.description, now: Date.now() }).lastInsertRowid);
      this.writeUsers(id, g.members, g.managers);
      return this.get(id)!;
    })();
  }

  /** Replaces the fields given; members and managers are replaced as a whole. */
  update(id: number, change: Partial<GroupInput>): { before: Group; after: Group } {
    return this.db.transaction(() => {
      const before = this.get(id);
      if (!before) throw new NotFoundError(`group ${id} not found`);
      const g = this.validate({
        name: change.name ?? before.name,
        description: change.description ?? before.description,
        members: change.members ?? before.members,
        managers: change.managers ?? before.managers,
      });
      const other = this.byName.get(g.name) as { id: number } | undefined;
      if (other && other.id !== id) throw new ConflictError(`name: a group named "${g.name}" exists`);
      this.updateRow.run({ id, name: g.name, description: g.description, now: Date.now() });
      this.writeUsers(id, g.members, g.managers);
      return { before, after: this.get(id)! };
    })();
  }

  remove(id: number): Group {
    return this.db.transaction(() => {
      const g = this.get(id);
      if (!g) throw new NotFoundError(`group ${id} not found`);
      this.deleteRow.run(id);
      return g;
    })();
  }

  /** Throws naming `field` unless every id is a group. */
  checkExist(ids: number[], field: string): void {
    const missing = ids.filter((id) => !this.get(id));
    if (missing.length) throw new InvalidInputError(`${field}: no group with id ${missing.join(', ')}`);
  }

  private writeUsers(id: number, members: number[], managers: number[]): void {
    this.clearMembers.run(id);
    for (const u of members) this.addMember.run(id, u);
    this.clearManagers.run(id);
    for (const u of managers) this.addManager.run(id, u);
  }

  private validate(input: GroupInput): Required<GroupInput> {
    const name = typeof input.name === 'string' ? input.name.trim() : '';
    if (name.length < 1 || name.length > 100) throw new InvalidInputError('name: 1 to 100 characters');
    const description = (input.description ?? '').trim();
    if (description.length > 1000) throw new InvalidInputError('description: at most 1000 characters');
    const members = this.users(input.members ?? [], 'members');
    const managers = this.users(input.managers ?? [], 'managers');
    return { name, description, members, managers };
  }

  private users(ids: number[], field: string): number[] {
    const unique = [...new Set(ids)];
    const found = new Set((this.existingUsers.all(JSON.stringify(unique)) as Array<{ id: number }>).map((r) => r.id));
    const missing = unique.filter((u) => !found.has(u));
    if (missing.length) throw new InvalidInputError(`${field}: no user with id ${missing.join(', ')}`);
    return unique.sort((a, b) => a - b);
  }
}

function toGroup(r: GroupRow): Group {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    members: JSON.parse(r.members) as number[],
    managers: JSON.parse(r.managers) as number[],
    createdAt: new Date(r.created_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
  };
}
