import type { Migration } from './index.js';

// Access control (seed 000 §1.5 access profiles, seed 003 §A.2–A.5 roles and groups).
//
// - users.system_admin: the System Administrator role. Version 1 put a CHECK on users.role that
//   SQLite cannot widen in place, and rebuilding `users` inside a migration transaction would
//   cascade-delete every session, extension and call link (foreign keys stay on inside a
//   transaction). So a System Administrator is stored as role 'admin' + system_admin = 1; the
//   catalog code reads the pair as the role 'sysadmin'. Administrators before this version had
//   every permission irrevocably: they become System Administrators, which keeps exactly that.
// - users.access_profile_id: the user's access profile; null = the default profile of its role
//   (access_profiles.default_for_role), so accounts created without one get the seed defaults.
// - users.enabled: seed 003 "Active"; a disabled account cannot log in and loses its sessions.
// - access_profiles + access_profile_permissions: the call scope (one of four) and the
//   permission flags. access_profile_groups: seed 000's "Select Groups" of the scope
//   "Access User's Own and Group Calls".
// - portal_groups, group_members, group_managers: seed 003 groups, members and "Managed Groups".
//   (GROUPS is an SQL keyword, hence portal_groups.)
const sql = `
CREATE TABLE access_profiles (
  id               INTEGER PRIMARY KEY,
  name             TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(name) BETWEEN 1 AND 100),
  description      TEXT NOT NULL DEFAULT '' CHECK (length(description) <= 1000),
  call_scope       TEXT NOT NULL CHECK (call_scope IN ('none', 'own', 'group', 'all')),
  default_for_role TEXT UNIQUE CHECK (default_for_role IN ('sysadmin', 'admin', 'supervisor', 'user', 'auditor')),
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL
) STRICT;

CREATE TABLE access_profile_permissions (
  profile_id INTEGER NOT NULL REFERENCES access_profiles (id) ON DELETE CASCADE,
  permission TEXT NOT NULL,
  PRIMARY KEY (profile_id, permission)
) STRICT, WITHOUT ROWID;

CREATE TABLE portal_groups (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(name) BETWEEN 1 AND 100),
  description TEXT NOT NULL DEFAULT '' CHECK (length(description) <= 1000),
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE access_profile_groups (
  profile_id INTEGER NOT NULL REFERENCES access_profiles (id) ON DELETE CASCADE,
  group_id   INTEGER NOT NULL REFERENCES portal_groups (id) ON DELETE CASCADE,
  PRIMARY KEY (profile_id, group_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE group_members (
  group_id INTEGER NOT NULL REFERENCES portal_groups (id) ON DELETE CASCADE,
  user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  PRIMARY KEY (group_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX group_members_user ON group_members (user_id, group_id);

CREATE TABLE group_managers (
  group_id INTEGER NOT NULL REFERENCES portal_groups (id) ON DELETE CASCADE,
  user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  PRIMARY KEY (group_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX group_managers_user ON group_managers (user_id, group_id);

ALTER TABLE users ADD COLUMN system_admin INTEGER NOT NULL DEFAULT 0 CHECK (system_admin IN (0, 1));
ALTER TABLE users ADD COLUMN access_profile_id INTEGER REFERENCES access_profiles (id) ON DELETE RESTRICT;
ALTER TABLE users ADD COLUMN enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1));
CREATE INDEX users_access_profile ON users (access_profile_id) WHERE access_profile_id IS NOT NULL;

UPDATE users SET system_admin = 1 WHERE role = 'admin';
`;

/** The seeded default profile of each role (names as in seed 003 §A.2 and seed 000 §1.5). */
const DEFAULT_PROFILES: Array<{ role: string; name: string; description: string; scope: string; permissions: string[] }> = [
  {
    role: 'sysadmin',
    name: 'System Administrator',
    description: 'Unlimited access to the system (seed 003 Root Administrator); the role keeps it whatever this profile says.',
    scope: 'all',
    permissions: [
      'media:play', 'media:download', 'tags:assign', 'notes:add', 'notes:delete-others', 'interactions:delete',
      'recording-profiles:write', 'access-profiles:write', 'tags:write', 'system:configure', 'audit:read', 'audit:export',
      'users:read', 'users:write', 'groups:write', 'sessions:admin', 'legalhold:write', 'alarms:read',
    ],
  },
  {
    role: 'admin',
    name: 'Administrator',
    description: 'Access All Calls and every permission, as the seed 000 default administrator has.',
    scope: 'all',
    permissions: [
      'media:play', 'media:download', 'tags:assign', 'notes:add', 'notes:delete-others', 'interactions:delete',
      'recording-profiles:write', 'access-profiles:write', 'tags:write', 'system:configure', 'audit:read', 'audit:export',
      'users:read', 'users:write', 'groups:write', 'sessions:admin', 'legalhold:write', 'alarms:read',
    ],
  },
  {
    role: 'supervisor',
    name: 'Supervisor',
    description: "Access User's Own and Group Calls: the recordings of the users in the groups the supervisor manages (seed 003).",
    scope: 'group',
    permissions: ['media:play', 'media:download', 'tags:assign', 'notes:add', 'users:read', 'alarms:read'],
  },
  {
    role: 'user',
    name: 'User/Agent',
    description: "Access User's Own Calls.",
    scope: 'own',
    permissions: ['media:play', 'media:download', 'tags:assign', 'notes:add'],
  },
  {
    role: 'auditor',
    name: 'Auditor',
    description: 'No Call Access; Audit Trail Access/Export.',
    scope: 'none',
    permissions: ['audit:read', 'audit:export'],
  },
];

export const accessControl: Migration = {
  version: 10,
  name: 'access control: roles, access profiles, groups with members and managers',
  up(db) {
    db.exec(sql);
    const now = Date.now();
    const profile = db.prepare(`INSERT INTO access_profiles (name, description, call_scope, default_for_role, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?)`);
    const grant = db.prepare('INSERT INTO access_profile_permissions (profile_id, permission) VALUES (?, ?)');
    for (const p of DEFAULT_PROFILES) {
      const id = profile.run(p.name, p.description, p.scope, p.role, now, now).lastInsertRowid;
      for (const permission of p.permissions) grant.run(id, permission);
    }
  },
};
