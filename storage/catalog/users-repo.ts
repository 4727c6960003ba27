import type BetterSqlite3 from 'better-sqlite3';
import { ROLE_SQL } from './access-profiles-repo.js';
import { ConflictError, DuplicateUsernameError, InvalidInputError, LegalHoldError, NotFoundError } from './errors.js';
import { checkPasswordPolicy, dummyHash, hashPassword, verifyPassword, verifyPasswordAsync } from './passwords.js';
import { GROUP_USERS_SQL } from './scope-sql.js';
import type { AccessScope, NewUser, Role, SignInState, User, UserUpdate } from './types.js';

type Database = BetterSqlite3.Database;
type Statement = BetterSqlite3.Statement;

export const ROLES: readonly Role[] = ['sysadmin', 'admin', 'supervisor', 'user', 'auditor'];
const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const EXTENSION = /^[^\s;,]{1,64}$/;

interface UserRow {
  id: number;
  username: string;
  role: Role;
  must_change_password: number;
  created_at: number;
  legal_hold_since: number | null;
  extensions: string;
  enabled: number;
  access_profile_id: number | null;
  groups: string;
  managed: string;
}

const SELECT_USER = `SELECT u.id, u.username, ${ROLE_SQL} AS role, u.must_change_password, u.created_at, u.legal_hold_since,
  u.enabled, u.access_profile_id,
  (SELECT json_group_array(extension) FROM
     (SELECT extension FROM user_extensions e WHERE e.user_id = u.id ORDER BY extension)) AS extensions,
  (SELECT json_group_array(group_id) FROM
     (SELECT group_id FROM group_members m WHERE m.user_id = u.id ORDER BY group_id)) AS groups,
  (SELECT json_group_array(group_id) FROM
     (SELECT group_id FROM group_managers k WHERE k.user_id = u.id ORDER BY group_id)) AS managed
  FROM users u`;

/** Portal accounts. Usernames are unique regardless of case; passwords are stored as scrypt hashes. */
export class UsersRepo {
  private readonly insertUser: Statement;
  private readonly insertExtension: Statement;
  private readonly updatePassword: Statement;
  private readonly deleteSessions: Statement;
  private readonly selectAll: Statement;
  private readonly selectById: Statement;
  private readonly selectByName: Statement;
  private readonly selectHash: Statement;
  private readonly countStmt: Statement;
  private readonly updateUser: Statement;
  private readonly deleteUser: Statement;
  private readonly clearExtensions: Statement;
  private readonly clearMemberships: Statement;
  private readonly addMembership: Statement;
  private readonly clearManaged: Statement;
  private readonly addManaged: Statement;
  private readonly existingGroups: Statement;
  private readonly profileExists: Statement;
  private readonly countSysadmins: Statement;
  private readonly inGroupScope: Statement;
  private readonly addTx: (u: NewUser, hash: string, extensions: string[]) => number;
  private readonly setPasswordTx: (username: string, hash: string, mustChange: boolean) => void;
  private readonly signInStmt: Statement;
  private readonly failStmt: Statement;
  private readonly clearFailuresStmt: Statement;
  private readonly setTotpSecretStmt: Statement;
  private readonly enableTotpStmt: Statement;
  private readonly disableTotpStmt: Statement;
  private readonly useTotpStepStmt: Statement;

  constructor(private readonly db: Database) {
    this.insertUser = db.prepare(`INSERT INTO users (username, password_hash, role, system_admin, must_change_password,
        created_at, updated_at, enabled, access_profile_id)
      VALUES (@username, @hash, @role, @systemAdmin, @mustChange, @now, @now, @enabled, @profileId)`);
    this.updateUser = db.prepare(`UPDATE users SET role = @role, system_admin = @systemAdmin, enabled = @enabled,
      access_profile_id = @profileId, updated_at = @now WHERE id = @id`);
    this.deleteUser = db.prepare('DELETE FROM users WHERE id = ?');
    this.clearExtensions = db.prepare('DELETE FROM user_extensions WHERE user_id = ?');
    this.clearMemberships = db.prepare('DELETE FROM group_members WHERE user_id = ?');
    this.addMembership = db.prepare('INSERT INTO group_members (group_id, user_id) VALUES (?, ?)');
    this.clearManaged = db.prepare('DELETE FROM group_managers WHERE user_id = ?');
    this.addManaged = db.prepare('INSERT INTO group_managers (group_id, user_id) VALUES (?, ?)');
    this.existingGroups = db.prepare('SELECT id FROM portal_groups WHERE id IN (SELECT value FROM json_each(?))');
    this.profileExists = db.prepare('SELECT 1 FROM access_profiles WHERE id = ?');
    this.inGroupScope = db.prepare(`SELECT 1 FROM users WHERE id = @id AND id IN (${GROUP_USERS_SQL})`);
    this.countSysadmins = db.prepare('SELECT count(*) AS n FROM users WHERE system_admin = 1 AND enabled = 1');
    this.insertExtension = db.prepare('INSERT OR IGNORE INTO user_extensions (user_id, extension) VALUES (?, ?)');
    this.updatePassword = db.prepare(
      // A new password also lifts a lockout: `sipvault user passwd` is how an operator unlocks an account.
      `UPDATE users SET password_hash = ?, must_change_password = ?, failed_logins = 0, locked_until = NULL, updated_at = ?
        WHERE username = ? RETURNING id`,
    );
    this.signInStmt = db.prepare(`SELECT failed_logins AS failedLogins, locked_until AS lockedUntil, totp_secret AS totpSecret,
      totp_enabled_at AS totpEnabledAt, totp_last_step AS totpLastStep FROM users WHERE id = ?`);
    // A lock that has run out starts a fresh count.
    this.failStmt = db.prepare(`UPDATE users SET
        failed_logins = CASE WHEN locked_until IS NOT NULL AND locked_until <= @now THEN 1 ELSE failed_logins + 1 END,
        locked_until = CASE WHEN locked_until IS NOT NULL AND locked_until <= @now THEN NULL ELSE locked_until END
      WHERE id = @id RETURNING failed_logins AS failedLogins`);
    this.clearFailuresStmt = db.prepare('UPDATE users SET failed_logins = 0, locked_until = ? WHERE id = ?');
    this.setTotpSecretStmt = db.prepare(
      'UPDATE users SET totp_secret = ?, totp_enabled_at = NULL, totp_last_step = NULL, updated_at = ? WHERE id = ?',
    );
    this.enableTotpStmt = db.prepare(
      'UPDATE users SET totp_enabled_at = ?, totp_last_step = ?, updated_at = ? WHERE id = ? AND totp_secret IS NOT NULL',
    );
    this.disableTotpStmt = db.prepare(
      'UPDATE users SET totp_secret = NULL, totp_enabled_at = NULL, totp_last_step = NULL, updated_at = ? WHERE id = ?',
    );
    // Compare-and-set: two logins racing with the same code cannot both win.
    this.useTotpStepStmt = db.prepare(
      'UPDATE users SET totp_last_step = ? WHERE id = ? AND (totp_last_step IS NULL OR totp_last_step < ?)',
    );
    this.deleteSessions = db.prepare('DELETE FROM portal_sessions WHERE user_id = ?');
    this.selectAll = db.prepare(`${SELECT_USER} ORDER BY u.username`);
    this.selectById = db.prepare(`${SELECT_USER} WHERE u.id = ?`);
    this.selectByName = db.prepare(`${SELECT_USER} WHERE u.username = ?`);
    this.selectHash = db.prepare('SELECT id, password_hash FROM users WHERE username = ?');
    this.countStmt = db.prepare('SELECT count(*) AS n FROM users');

    this.addTx = db.transaction((u: NewUser, hash: string, extensions: string[]) => {
      let id: number;
      try {
        id = Number(
          this.insertUser.run({
            username: u.username,
            hash,
            ...storedRole(u.role),
            mustChange: u.mustChangePassword ? 1 : 0,
            now: Date.now(),
            enabled: u.enabled === false ? 0 : 1,
            profileId: u.accessProfileId ?? null,
          }).lastInsertRowid,
        );
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new DuplicateUsernameError(u.username);
        throw err;
      }
      for (const e of extensions) this.insertExtension.run(id, e);
      this.writeGroups(id, u.groups, u.managedGroups);
      return id;
    });
    this.setPasswordTx = db.transaction((username: string, hash: string, mustChange: boolean) => {
      const row = this.updatePassword.get(hash, mustChange ? 1 : 0, Date.now(), username) as { id: number } | undefined;
      if (!row) throw new NotFoundError(`user "${username}" not found`);
      // A new password ends every session opened with the old one.
      this.deleteSessions.run(row.id);
    });
  }

  add(u: NewUser): User {
    if (typeof u.username !== 'string' || !USERNAME.test(u.username)) {
      throw new InvalidInputError(
        'username must be 1 to 64 characters: letters, digits, ".", "_", "@" or "-", starting with a letter or digit',
      );
    }
    if (!ROLES.includes(u.role)) throw new InvalidInputError(`role must be one of ${ROLES.join(', ')}`);
    const extensions = normalizeExtensions(u.extensions ?? []);
    this.checkReferences(u);
    checkPasswordPolicy(u.password);
    if (this.byUsername(u.username)) throw new DuplicateUsernameError(u.username);
    const id = this.addTx(u, hashPassword(u.password), extensions);
    return this.get(id)!;
  }

  /**
   * Changes role, access profile, extensions, groups or the enabled flag (absent fields stay).
   * Disabling ends the user's sessions. The last enabled System Administrator cannot be disabled
   * or given another role: nobody could manage the appliance any more.
   */
  update(id: number, change: UserUpdate): { before: User; after: User } {
    if (change.role !== undefined && !ROLES.includes(change.role)) throw new InvalidInputError(`role must be one of ${ROLES.join(', ')}`);
    const extensions = change.extensions === undefined ? undefined : normalizeExtensions(change.extensions);
    return this.db.transaction(() => {
      const before = this.get(id);
      if (!before) throw new NotFoundError(`user ${id} not found`);
      this.checkReferences(change);
      const role = change.role ?? before.role;
      const enabled = change.enabled ?? before.enabled;
      if (before.role === 'sysadmin' && before.enabled && (role !== 'sysadmin' || !enabled) && this.sysadmins() <= 1) {
        throw new ConflictError('the last enabled System Administrator must keep that role and stay enabled');
      }
      this.updateUser.run({
        id,
        ...storedRole(role),
        enabled: enabled ? 1 : 0,
        profileId: change.accessProfileId === undefined ? before.accessProfileId : change.accessProfileId,
        now: Date.now(),
      });
      if (extensions) {
        this.clearExtensions.run(id);
        for (const e of extensions) this.insertExtension.run(id, e);
      }
      this.writeGroups(id, change.groups, change.managedGroups);
      if (!enabled) this.deleteSessions.run(id);
      return { before, after: this.get(id)! };
    })();
  }

  /**
   * Deletes the account (seed 000 §1.19.1): refused while on legal hold, and for the last enabled
   * System Administrator. Its calls stay until their expiry; they lose this user as a target.
   */
  remove(id: number): User {
    return this.db.transaction(() => {
      const user = this.get(id);
      if (!user) throw new NotFoundError(`user ${id} not found`);
      if (user.legalHoldSince !== null) throw new LegalHoldError(`user ${user.username} is on legal hold and cannot be deleted`);
      if (user.role === 'sysadmin' && user.enabled && this.sysadmins() <= 1) {
        throw new ConflictError('the last enabled System Administrator cannot be deleted');
      }
      this.deleteUser.run(id);
      return user;
    })();
  }

  /**
   * Whether the calls of user `id` are within `scope` (for acts on a user's calls as a whole, such
   * as a legal hold): every user for the all scopes, the user itself for "own", itself and the
   * members of its groups for "group".
   */
  visibleTo(id: number, scope: AccessScope): boolean {
    switch (scope.kind) {
      case 'all':
      case 'assigned':
        return this.get(id) !== null;
      case 'user':
        return id === scope.userId && this.get(id) !== null;
      case 'group':
        return this.inGroupScope.get({ id, scopeUser: scope.userId }) !== undefined;
      default:
        return false;
    }
  }

  /** Enabled System Administrators. */
  sysadmins(): number {
    return (this.countSysadmins.get() as { n: number }).n;
  }

  private checkReferences(u: { accessProfileId?: number | null; groups?: number[]; managedGroups?: number[] }): void {
    if (u.accessProfileId !== undefined && u.accessProfileId !== null && !this.profileExists.get(u.accessProfileId)) {
      throw new InvalidInputError(`accessProfileId: no access profile with id ${u.accessProfileId}`);
    }
    for (const [field, ids] of [['groups', u.groups], ['managedGroups', u.managedGroups]] as const) {
      if (!ids) continue;
      if (!Array.isArray(ids)) throw new InvalidInputError(`${field}: a list of group ids`);
      const found = new Set((this.existingGroups.all(JSON.stringify(ids)) as Array<{ id: number }>).map((r) => r.id));
      const missing = [...new Set(ids)].filter((g) => !found.has(g));
      if (missing.length) throw new InvalidInputError(`${field}: no group with id ${missing.join(', ')}`);
    }
  }

  private writeGroups(id: number, groups: number[] | undefined, managed: number[] | undefined): void {
    if (groups) {
      this.clearMemberships.run(id);
      for (const g of new Set(groups)) this.addMembership.run(g, id);
    }
    if (managed) {
      this.clearManaged.run(id);
      for (const g of new Set(managed)) this.addManaged.run(g, id);
    }
  }

  /**
   * Sets the password and ends every session of the user. `mustChange`: the user has to choose
   * another one at the next login (an administrator's reset); by default the flag is cleared.
   */
  setPassword(username: string, password: string, opts: { mustChange?: boolean } = {}): void {
    checkPasswordPolicy(password);
    this.setPasswordTx(username, hashPassword(password), opts.mustChange ?? false);
  }

  /** Lockout counters and TOTP state of an account. */
  signInState(id: number): SignInState | null {
    const row = this.signInStmt.get(id) as
      | { failedLogins: number; lockedUntil: number | null; totpSecret: string | null; totpEnabledAt: number | null; totpLastStep: number | null }
      | undefined;
    if (!row) return null;
    return {
      failedLogins: row.failedLogins,
      lockedUntil: row.lockedUntil,
      totpSecret: row.totpSecret,
      totpEnabled: row.totpEnabledAt !== null && row.totpSecret !== null,
      totpLastStep: row.totpLastStep,
    };
  }

  /**
   * Counts a failed login; when the count reaches `maxFailures` the account is locked until
   * now + lockMs and the count restarts. Returns the count and the lock end (epoch ms) if this
   * failure locked it.
   */
  recordLoginFailure(id: number, maxFailures: number, lockMs: number, now = Date.now()): { failures: number; lockedUntil: number | null } {
    const row = this.failStmt.get({ id, now }) as { failedLogins: number } | undefined;
    if (!row) return { failures: 0, lockedUntil: null };
    if (row.failedLogins < maxFailures) return { failures: row.failedLogins, lockedUntil: null };
    const lockedUntil = now + lockMs;
    this.clearFailuresStmt.run(lockedUntil, id);
    return { failures: row.failedLogins, lockedUntil };
  }

  /** A successful login (or an administrator) clears the failure count and any lock. */
  clearLoginFailures(id: number): void {
    this.clearFailuresStmt.run(null, id);
  }

  /** Stores a new TOTP secret, not yet in force (enableTotp does that after a first good code). */
  setTotpSecret(id: number, secret: string): void {
    this.setTotpSecretStmt.run(secret, Date.now(), id);
  }

  /** Puts the enrolled secret in force; `step` is the step of the code that proved it. */
  enableTotp(id: number, step: number, now = Date.now()): boolean {
    return this.enableTotpStmt.run(now, step, now, id).changes === 1;
  }

  disableTotp(id: number): void {
    this.disableTotpStmt.run(Date.now(), id);
  }

  /** Records `step` as used; false when it (or a later one) was used already: a replayed code. */
  useTotpStep(id: number, step: number): boolean {
    return this.useTotpStepStmt.run(step, id, step).changes === 1;
  }

  /** The user when the password is right, else null. Costs the same for unknown users. */
  verify(username: string, password: string): User | null {
    const row = this.selectHash.get(username) as { id: number; password_hash: string } | undefined;
    const ok = verifyPassword(String(password), row?.password_hash ?? dummyHash());
    return row && ok ? this.enabledUser(row.id) : null;
  }

  /** verify() with the hashing on the thread pool, for servers. */
  async verifyAsync(username: string, password: string): Promise<User | null> {
    const row = this.selectHash.get(username) as { id: number; password_hash: string } | undefined;
    const ok = await verifyPasswordAsync(String(password), row?.password_hash ?? dummyHash());
    return row && ok ? this.enabledUser(row.id) : null;
  }

  // A disabled account answers like a wrong password: a login reveals nothing about it.
  private enabledUser(id: number): User | null {
    const user = this.get(id);
    return user?.enabled ? user : null;
  }

  list(): User[] {
    return (this.selectAll.all() as UserRow[]).map(toUser);
  }

  get(id: number): User | null {
    const row = this.selectById.get(id) as UserRow | undefined;
    return row ? toUser(row) : null;
  }

  byUsername(name: string): User | null {
    const row = this.selectByName.get(name) as UserRow | undefined;
    return row ? toUser(row) : null;
  }

  count(): number {
    return (this.countStmt.get() as { n: number }).n;
  }
}

function normalizeExtensions(list: string[]): string[] {
  if (!Array.isArray(list)) throw new InvalidInputError('extensions must be a list');
  const out = new Set<string>();
  for (const raw of list) {
    const e = typeof raw === 'string' ? raw.trim() : '';
    if (!EXTENSION.test(e)) {
      throw new InvalidInputError(`extension "${String(raw)}" is invalid: 1 to 64 characters without spaces, ";" or ","`);
    }
    out.add(e);
  }
  return [...out];
}

// See migration 10: a System Administrator is stored as role 'admin' with system_admin = 1.
function storedRole(role: Role): { role: Exclude<Role, 'sysadmin'>; systemAdmin: 0 | 1 } {
  return role === 'sysadmin' ? { role: 'admin', systemAdmin: 1 } : { role, systemAdmin: 0 };
}

function toUser(r: UserRow): User {
  return {
    id: r.id,
    username: r.username,
    role: r.role,
    extensions: JSON.parse(r.extensions) as string[],
    mustChangePassword: r.must_change_password === 1,
    createdAt: new Date(r.created_at).toISOString(),
    legalHoldSince: r.legal_hold_since === null ? null : new Date(r.legal_hold_since).toISOString(),
    enabled: r.enabled === 1,
    accessProfileId: r.access_profile_id,
    groups: JSON.parse(r.groups) as number[],
    managedGroups: JSON.parse(r.managed) as number[],
  };
}
