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
  | 'users:write';

const GRANTS: Record<Role, ReadonlySet<Permission>> = {
  admin: new Set<Permission>([
    'interactions:read',
    'media:read',
    'calls:read',
    'alarms:read',
    'audit:read',
    'users:read',
    'users:write',
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

/** The interactions a user may see; the catalog enforces it in SQL. */
export function scopeFor(user: Pick<User, 'role' | 'extensions'>): AccessScope {
  switch (user.role) {
    case 'admin':
    case 'supervisor': // supervisors see everything until teams/groups exist
      return { kind: 'all' };
    case 'user':
      return { kind: 'extensions', extensions: [...user.extensions] };
    default:
      return { kind: 'extensions', extensions: [] };
  }
}
