import type BetterSqlite3 from 'better-sqlite3';
import { DuplicateUsernameError, InvalidInputError, NotFoundError } from './errors.js';
import { checkPasswordPolicy, dummyHash, hashPassword, verifyPassword, verifyPasswordAsync } from './passwords.js';
import type { NewUser, Role, User } from './types.js';

type Database = BetterSqlite3.Database;
type Statement = BetterSqlite3.Statement;

export const ROLES: readonly Role[] = ['admin', 'supervisor', 'user', 'auditor'];
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
}

const SELECT_USER = `SELECT u.id, u.username, u.role, u.must_change_password, u.created_at, u.legal_hold_since,
  (SELECT json_group_array(extension) FROM
     (SELECT extension FROM user_extensions e WHERE e.user_id = u.id ORDER BY extension)) AS extensions
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
  private readonly addTx: (u: NewUser, hash: string, extensions: string[]) => number;
  private readonly setPasswordTx: (username: string, hash: string) => void;

  constructor(db: Database) {
    this.insertUser = db.prepare(`INSERT INTO users (username, password_hash, role, must_change_password, created_at, updated_at)
      VALUES (@username, @hash, @role, @mustChange, @now, @now)`);
    this.insertExtension = db.prepare('INSERT OR IGNORE INTO user_extensions (user_id, extension) VALUES (?, ?)');
    this.updatePassword = db.prepare(
      'UPDATE users SET password_hash = ?, must_change_password = 0, updated_at = ? WHERE username = ? RETURNING id',
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
            role: u.role,
            mustChange: u.mustChangePassword ? 1 : 0,
            now: Date.now(),
          }).lastInsertRowid,
        );
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new DuplicateUsernameError(u.username);
        throw err;
      }
      for (const e of extensions) this.insertExtension.run(id, e);
      return id;
    });
    this.setPasswordTx = db.transaction((username: string, hash: string) => {
      const row = this.updatePassword.get(hash, Date.now(), username) as { id: number } | undefined;
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
    checkPasswordPolicy(u.password);
    if (this.byUsername(u.username)) throw new DuplicateUsernameError(u.username);
    const id = this.addTx(u, hashPassword(u.password), extensions);
    return this.get(id)!;
  }

  setPassword(username: string, password: string): void {
    checkPasswordPolicy(password);
    this.setPasswordTx(username, hashPassword(password));
  }

  /** The user when the password is right, else null. Costs the same for unknown users. */
  verify(username: string, password: string): User | null {
    const row = this.selectHash.get(username) as { id: number; password_hash: string } | undefined;
    const ok = verifyPassword(String(password), row?.password_hash ?? dummyHash());
    return row && ok ? this.get(row.id) : null;
  }

  /** verify() with the hashing on the thread pool, for servers. */
  async verifyAsync(username: string, password: string): Promise<User | null> {
    const row = this.selectHash.get(username) as { id: number; password_hash: string } | undefined;
    const ok = await verifyPasswordAsync(String(password), row?.password_hash ?? dummyHash());
    return row && ok ? this.get(row.id) : null;
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

function toUser(r: UserRow): User {
  return {
    id: r.id,
    username: r.username,
    role: r.role,
    extensions: JSON.parse(r.extensions) as string[],
    mustChangePassword: r.must_change_password === 1,
    createdAt: new Date(r.created_at).toISOString(),
    legalHoldSince: r.legal_hold_since === null ? null : new Date(r.legal_hold_since).toISOString(),
  };
}
