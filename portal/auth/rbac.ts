import type { AccessScope, CallScope, ProfileGrant, ProfilePermission, Role, User } from '../../storage/catalog/index.js';
import { PROFILE_PERMISSIONS } from '../../storage/catalog/index.js';

/**
 * What a route needs. `public`: nobody logged in; `session`: any logged-in user;
 * `interactions:read` and `calls:read`: a call scope other than "No Call Access"; the rest are
 * the access-profile flags (PROFILE_PERMISSIONS, seed 000 §1.5). Every route of the API declares
 * one in `config.permission`; handlers check further ones with `hasPermission`.
 */
export type Permission = 'public' | 'session' | 'interactions:read' | 'calls:read' | ProfilePermission;

/** A caller's effective rights: its profile's, within what its role allows. */
export interface Access {
  role: Role;
  /** The profile they come from (the role's default when the user has none). */
  profile: { id: number; name: string } | null;
  callScope: CallScope;
  scope: AccessScope;
  permissions: ReadonlySet<Permission>;
}

const ALL_FLAGS: readonly ProfilePermission[] = PROFILE_PERMISSIONS.map((p) => p.key);

/**
 * Role limits (seed 003 §A.2, §D.1): whatever its profile says, a role never gets more than this.
 * - System Administrator: everything, always ("full, irrevocable access": nobody can lock it out).
 * - Administrator: whatever its profile grants.
 * - Supervisor: "Cannot create or delete user accounts"; no group, profile, system or session
 *   administration (editing a group it manages would widen its own scope).
 * - User/Agent: call work only.
 * - Auditor: the audit trail and read-only views; never hears a call.
 */
const ROLE_CEILING: Record<Role, ReadonlySet<ProfilePermission>> = {
  sysadmin: new Set(ALL_FLAGS),
  admin: new Set(ALL_FLAGS),
  supervisor: new Set<ProfilePermission>([
    'media:play', 'media:download', 'tags:assign', 'notes:add', 'notes:delete-others', 'interactions:delete',
    'tags:write', 'audit:read', 'audit:export', 'users:read', 'legalhold:write', 'alarms:read',
  ]),
  user: new Set<ProfilePermission>(['media:play', 'media:download', 'tags:assign', 'notes:add', 'interactions:delete']),
  auditor: new Set<ProfilePermission>(['audit:read', 'audit:export', 'users:read', 'alarms:read']),
};

/** Only these roles see unassigned calls, and only with "Access All Calls" (seed 003 §A.8). */
const SEES_UNASSIGNED: ReadonlySet<Role> = new Set<Role>(['sysadmin', 'admin']);

/** The effective access of `user` given the profile that applies to it (null: none found). */
export function accessOf(user: Pick<User, 'id' | 'role'>, grant: ProfileGrant | null): Access {
  const role = user.role;
  const callScope: CallScope = role === 'sysadmin' ? 'all' : (grant?.callScope ?? 'none');
  const ceiling = ROLE_CEILING[role] ?? new Set();
  const permissions = new Set<Permission>();
  const flags = role === 'sysadmin' ? ALL_FLAGS : (grant?.permissions ?? []);
  for (const p of flags) if (ceiling.has(p as ProfilePermission)) permissions.add(p as ProfilePermission);
  if (callScope !== 'none') {
    permissions.add('interactions:read');
    permissions.add('calls:read');
  }
  return {
    role,
    profile: grant ? { id: grant.id, name: grant.name } : null,
    callScope,
    scope: scopeOf(user.id, role, callScope),
    permissions,
  };
}

function scopeOf(userId: number, role: Role, callScope: CallScope): AccessScope {
  switch (callScope) {
    case 'all':
      return SEES_UNASSIGNED.has(role) ? { kind: 'all' } : { kind: 'assigned' };
    case 'group':
      return { kind: 'group', userId };
    case 'own':
      return { kind: 'user', userId };
    default:
      return { kind: 'none' };
  }
}

/** For checks inside a handler, e.g. deleting another user's note: `can(authOf(request), 'notes:delete-others')`. */
export function can(who: { permissions: ReadonlySet<Permission> }, permission: Permission): boolean {
  if (permission === 'public' || permission === 'session') return true;
  return who.permissions.has(permission);
}

export const hasPermission = can;

const SCOPE_REACH: Record<CallScope, number> = { none: 0, own: 1, group: 2, all: 3 };

/**
 * What `target` would hold beyond `caller` (empty: nothing). Nobody hands out more than they
 * have: an Administrator with a narrow profile cannot give itself or anyone a wider one, by
 * role, by profile choice or by editing a profile.
 */
export function beyond(caller: Access, target: Pick<Access, 'permissions' | 'callScope'>): string[] {
  const out: string[] = [...target.permissions].filter((p) => !caller.permissions.has(p)).sort();
  if (SCOPE_REACH[target.callScope] > SCOPE_REACH[caller.callScope]) out.push(`call scope "${target.callScope}"`);
  return out;
}
