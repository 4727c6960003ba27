import type { AccessScope, Role, User } from '../../storage/catalog/index.js';

/**
 * What a route needs. `public`: nobody logged in; `session`: any logged-in user; the rest are
 * granted per role below. Every route of the API declares one in `config.permission`.
 */
export type Permission =
  | 'public'
  | 'session'
  | 'interactions:read'
  | 'media:read'
  | 'calls:read'
  | 'alarms:read'
  | 'audit:read'
  | 'users:read'
  | 'users:write'
  /** Place and release legal holds (seed 000 §1.19.2; Global admin only). */
  | 'legalhold:write'
  /** Seed 000 "Delete Calls". */
  | 'interactions:delete';

const GRANTS: Record<Role, ReadonlySet<Permission>> = {
  admin: new Set<Permission>([
    'interactions:read',
    'media:read',
    'calls:read',
    'alarms:read',
    'audit:read',
    'users:read',
    'users:write',
    'legalhold:write',
    'interactions:delete',
  ]),
  supervisor: new Set<Permission>(['interactions:read', 'media:read', 'calls:read', 'alarms:read']),
  user: new Set<Permission>(['interactions:read', 'media:read', 'calls:read']),
  // Auditors review the trail; they hear no calls.
  auditor: new Set<Permission>(['audit:read']),
};

export function can(role: Role, permission: Permission): boolean {
  if (permission === 'public' || permission === 'session') return true;
  return GRANTS[role]?.has(permission) ?? false;
}

/**
 * The interactions a user may see; the catalog enforces it in SQL. Only administrators see every
 * call, unassigned ones included (seed 003 §A.8). A user sees the calls linked to it (its
 * extensions matched a party when the call was recorded, or when the account was created);
 * so does a supervisor until managed groups exist (seed 003: "only recordings associated with
 * users in the groups they manage"), never another user's calls nor unassigned ones.
 */
export function scopeFor(user: Pick<User, 'id' | 'role' | 'extensions'>): AccessScope {
  switch (user.role) {
    case 'admin':
      return { kind: 'all' };
    case 'supervisor':
    case 'user':
      return { kind: 'user', userId: user.id };
    default:
      // Auditors have no interactions permission; an empty scope keeps it so if one is granted.
      return { kind: 'extensions', extensions: [] };
  }
}
