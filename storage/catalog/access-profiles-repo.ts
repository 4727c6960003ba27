import type BetterSqlite3 from 'better-sqlite3';
import { ConflictError, InvalidInputError, NotFoundError } from './errors.js';
import type { AccessProfile, AccessProfileInput, CallScope, Role } from './types.js';

type Database = BetterSqlite3.Database;
type Statement = BetterSqlite3.Statement;

/** Display names of the roles (seed 003 §A.2; Auditor from §D.1). */
export const ROLE_NAMES: Readonly<Record<Role, string>> = {
  sysadmin: 'System Administrator',
  admin: 'Administrator',
  supervisor: 'Supervisor',
  user: 'User/Agent',
  auditor: 'Auditor',
};

/** Seed 000 §1.5 call scopes, in order of reach, with their names exactly as written. */
export const CALL_SCOPES: Readonly<Record<CallScope, string>> = {
  none: 'No Call Access',
  own: "Access User's Own Calls",
  group: "Access User's Own and Group Calls",
  all: 'Access All Calls',
};

/**
 * The permission flags an access profile can grant: key (what routes check), seed name and the
 * section of seed 000's permission table. The last section holds the appliance's own additions
 * (seed 003 "Configure Users", the users page, legal hold, sessions, alarms).
 */
export const PROFILE_PERMISSIONS = [
  { key: 'media:play', name: 'Play Media Related to a Call', section: 'Call Permissions' },
  { key: 'media:download', name: 'Download Media Related to a Call', section: 'Call Permissions' },
  { key: 'tags:assign', name: 'Tag Calls', section: 'Call Permissions' },
  { key: 'notes:add', name: 'Add Notes', section: 'Call Permissions' },
  { key: 'notes:delete-others', name: 'Delete Notes of Other Users', section: 'Call Permissions' },
  { key: 'interactions:delete', name: 'Delete Calls', section: 'Call Permissions' },
  { key: 'recording-profiles:write', name: 'Create and Modify Recording Profiles', section: 'Recording and Access Profiles permissions' },
  { key: 'access-profiles:write', name: 'Create and Modify Access Profiles', section: 'Recording and Access Profiles permissions' },
  { key: 'tags:write', name: 'Create and Modify Tags', section: 'Recording and Access Profiles permissions' },
  { key: 'system:configure', name: 'Configure System', section: 'System Configuration Permissions' },
  { key: 'audit:read', name: 'Audit Trail Access', section: 'System Configuration Permissions' },
  { key: 'audit:export', name: 'Audit Trail Export', section: 'System Configuration Permissions' },
  { key: 'users:read', name: 'View Users', section: 'Users and Monitoring' },
  { key: 'users:write', name: 'Configure Users', section: 'Users and Monitoring' },
  { key: 'groups:write', name: 'Create and Modify Groups', section: 'Users and Monitoring' },
  { key: 'sessions:admin', name: 'Terminate User Web Sessions', section: 'Users and Monitoring' },
  { key: 'legalhold:write', name: 'Legal Hold', section: 'Users and Monitoring' },
  { key: 'alarms:read', name: 'View Alarms', section: 'Users and Monitoring' },
] as const;

export type ProfilePermission = (typeof PROFILE_PERMISSIONS)[number]['key'];
const PERMISSION_KEYS = new Set<string>(PROFILE_PERMISSIONS.map((p) => p.key));

/** What decides a user's access: its profile's scope, flags and selected groups. */
export interface ProfileGrant {
  id: number;
  name: string;
  callScope: CallScope;
  permissions: string[];
  groups: number[];
}

interface ProfileRow {
  id: number;
  name: string;
  description: string;
  call_scope: CallScope;
  default_for_role: Role | null;
  created_at: number;
  updated_at: number;
  permissions: string;
  groups: string;
  user_count: number;
}

// A user's role as the API names it (see migration 10 for system_admin).
export const ROLE_SQL = `CASE WHEN u.system_admin = 1 THEN 'sysadmin' ELSE u.role END`;

const SELECT_PROFILE = `SELECT p.id, p.name, p.description, p.call_scope, p.default_for_role, p.created_at, p.updated_at,
  (SELECT json_group_array(permission) FROM (SELECT permission FROM access_profile_permissions pp
     WHERE pp.profile_id = p.id ORDER BY permission)) AS permissions,
  (SELECT json_group_array(group_id) FROM (SELECT group_id FROM access_profile_groups pg
     WHERE pg.profile_id = p.id ORDER BY group_id)) AS groups,
  (SELECT count(*) FROM users u WHERE u.access_profile_id = p.id
     OR (u.access_profile_id IS NULL AND ${ROLE_SQL} = p.default_for_role)) AS user_count
  FROM access_profiles p`;

/** Access profiles (seed 000 §1.5): the seeded default per role and the administrators' own. */
export class AccessProfilesRepo {
  private readonly selectAll: Statement;
  private readonly selectById: Statement;
  private readonly grantOf: Statement;
  private readonly insert: Statement;
  private readonly updateRow: Statement;
  private readonly deleteRow: Statement;
  private readonly clearPermissions: Statement;
  private readonly addPermission: Statement;
  private readonly clearGroups: Statement;
  private readonly addGroup: Statement;
  private readonly existingGroups: Statement;
  private readonly byName: Statement;

  constructor(private readonly db: Database) {
    this.selectAll = db.prepare(`${SELECT_PROFILE} ORDER BY p.name`);
    this.selectById = db.prepare(`${SELECT_PROFILE} WHERE p.id = ?`);
    // The profile chosen for the user, else its role's default: one lookup per request.
    this.grantOf = db.prepare(`SELECT p.id, p.name, p.call_scope,
        (SELECT json_group_array(permission) FROM access_profile_permissions pp WHERE pp.profile_id = p.id) AS permissions,
        (SELECT json_group_array(group_id) FROM access_profile_groups pg WHERE pg.profile_id = p.id) AS groups
      FROM access_profiles p
      WHERE p.id = coalesce(@profileId, (SELECT d.id FROM access_profiles d WHERE d.default_for_role = @role))`);
    this.insert = db.prepare(`INSERT INTO access_profiles (name, description, call_scope, created_at, updated_at)
      VALUES (@name, @description, @callScope, @now, @now)`);
    this.updateRow = db.prepare(`UPDATE access_profiles SET name = @name, description = @description,
      call_scope = @callScope, updated_at = @now WHERE id = @id`);
    this.deleteRow = db.prepare('DELETE FROM access_profiles WHERE id = ?');
    this.clearPermissions = db.prepare('DELETE FROM access_profile_permissions WHERE profile_id = ?');
    this.addPermission = db.prepare('INSERT INTO access_profile_permissions (profile_id, permission) VALUES (?, ?)');
    this.clearGroups = db.prepare('DELETE FROM access_profile_groups WHERE profile_id = ?');
    this.addGroup = db.prepare('INSERT INTO access_profile_groups (profile_id, group_id) VALUES (?, ?)');
    this.existingGroups = db.prepare('SELECT id FROM portal_groups WHERE id IN (SELECT value FROM json_each(?))');
    this.byName = db.prepare('SELECT id FROM access_profiles WHERE name = ?');
  }

  list(): AccessProfile[] {
    return (this.selectAll.all() as ProfileRow[]).map(toProfile);
  }

  get(id: number): AccessProfile | null {
    const row = this.selectById.get(id) as ProfileRow | undefined;
    return row ? toProfile(row) : null;
  }

  /** The profile that decides what `user` may do (its own, else its role's default). */
  grantFor(user: { role: Role; accessProfileId: number | null }): ProfileGrant | null {
    const row = this.grantOf.get({ profileId: user.accessProfileId, role: user.role }) as
      | { id: number; name: string; call_scope: CallScope; permissions: string; groups: string }
      | undefined;
    if (!row) return null;
    return {
      id: row.id,
      name: row.name,
      callScope: row.call_scope,
      permissions: JSON.parse(row.permissions) as string[],
      groups: JSON.parse(row.groups) as number[],
    };
  }

  create(input: AccessProfileInput): AccessProfile {
    const p = this.validate(input);
    return this.db.transaction(() => {
      if (this.byName.get(p.name)) throw new ConflictError(`name: an access profile named "${p.name}" exists`);
      const id = Number(this.insert.run({ name: p.name, description: p.description, callScope: p.callScope, now: Date.now() }).lastInsertRowid);
      this.writeChildren(id, p.permissions, p.groups);
      return this.get(id)!;
    })();
  }

  /** Replaces the fields given; permissions and groups are replaced as a whole. */
  update(id: number, change: Partial<AccessProfileInput>): { before: AccessProfile; after: AccessProfile } {
    return this.db.transaction(() => {
      const before = this.get(id);
      if (!before) throw new NotFoundError(`access profile ${id} not found`);
      const p = this.validate({
        name: change.name ?? before.name,
        description: change.description ?? before.description,
        callScope: change.callScope ?? before.callScope,
        permissions: change.permissions ?? before.permissions,
        groups: change.groups ?? before.groups,
      });
      const other = this.byName.get(p.name) as { id: number } | undefined;
      if (other && other.id !== id) throw new ConflictError(`name: an access profile named "${p.name}" exists`);
      this.updateRow.run({ id, name: p.name, description: p.description, callScope: p.callScope, now: Date.now() });
      this.writeChildren(id, p.permissions, p.groups);
      return { before, after: this.get(id)! };
    })();
  }

  /** Refused for a role's default profile and for a profile users still have. */
  remove(id: number): AccessProfile {
    return this.db.transaction(() => {
      const p = this.get(id);
      if (!p) throw new NotFoundError(`access profile ${id} not found`);
      if (p.defaultForRole) throw new ConflictError(`"${p.name}" is the default profile of the role ${ROLE_NAMES[p.defaultForRole]}; it cannot be deleted`);
      if (p.userCount > 0) throw new ConflictError(`"${p.name}" is assigned to ${p.userCount} user(s); give them another profile first`);
      this.deleteRow.run(id);
      return p;
    })();
  }

  private writeChildren(id: number, permissions: string[], groups: number[]): void {
    this.clearPermissions.run(id);
    for (const k of permissions) this.addPermission.run(id, k);
    this.clearGroups.run(id);
    for (const g of groups) this.addGroup.run(id, g);
  }

  private validate(input: AccessProfileInput): Required<AccessProfileInput> {
    const name = typeof input.name === 'string' ? input.name.trim() : '';
    if (name.length < 1 || name.length > 100) throw new InvalidInputError('name: 1 to 100 characters');
    const description = (input.description ?? '').trim();
    if (description.length > 1000) throw new InvalidInputError('description: at most 1000 characters');
    if (!(input.callScope in CALL_SCOPES)) throw new InvalidInputError(`callScope: one of ${Object.keys(CALL_SCOPES).join(', ')}`);
    if (!Array.isArray(input.permissions)) throw new InvalidInputError('permissions: a list of permission keys');
    const unknown = input.permissions.filter((k) => !PERMISSION_KEYS.has(k));
    if (unknown.length) throw new InvalidInputError(`permissions: unknown ${unknown.map((k) => `"${k}"`).join(', ')}`);
    const groups = [...new Set(input.groups ?? [])];
    const found = new Set((this.existingGroups.all(JSON.stringify(groups)) as Array<{ id: number }>).map((r) => r.id));
    const missing = groups.filter((g) => !found.has(g));
    if (missing.length) throw new InvalidInputError(`groups: no group with id ${missing.join(', ')}`);
    return { name, description, callScope: input.callScope, permissions: [...new Set(input.permissions)].sort(), groups: groups.sort((a, b) => a - b) };
  }
}

function toProfile(r: ProfileRow): AccessProfile {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    callScope: r.call_scope,
    permissions: JSON.parse(r.permissions) as string[],
    groups: JSON.parse(r.groups) as number[],
    defaultForRole: r.default_for_role,
    userCount: r.user_count,
    createdAt: new Date(r.created_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
  };
}
