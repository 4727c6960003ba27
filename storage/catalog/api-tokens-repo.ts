import { createHash, randomBytes } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import type { ApiToken } from './types.js';

type Database = BetterSqlite3.Database;
type Statement = BetterSqlite3.Statement;

/** Every token starts with this, so a leaked one is recognisable in logs and secret scanners. */
export const API_TOKEN_PREFIX = 'svt_';

// 32 random bytes: a hash without salt or stretching is enough, nobody guesses 256 bits.
function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

interface TokenRow {
  id: number;
  user_id: number;
  username: string;
  name: string;
  permissions: string | null;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
  revoked_at: number | null;
}

const SELECT_TOKEN = `SELECT t.id, t.user_id, u.username, t.name, t.permissions, t.created_at, t.expires_at,
  t.last_used_at, t.revoked_at FROM api_tokens t JOIN users u ON u.id = t.user_id`;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function toToken(r: TokenRow): ApiToken {
  return {
    id: r.id,
    userId: r.user_id,
    username: r.username,
    name: r.name,
    permissions: r.permissions === null ? null : (JSON.parse(r.permissions) as string[]),
    createdAt: new Date(r.created_at).toISOString(),
    expiresAt: iso(r.expires_at),
    lastUsedAt: iso(r.last_used_at),
    revokedAt: iso(r.revoked_at),
  };
}

/** Bearer tokens for integrations: stored as hashes, shown once, revoked rather than deleted. */
export class ApiTokensRepo {
  private readonly insert: Statement;
  private readonly useStmt: Statement;
  private readonly byId: Statement;
  private readonly listAll: Statement;
  private readonly listForUser: Statement;
  private readonly revokeStmt: Statement;

  constructor(db: Database) {
    this.insert = db.prepare(`INSERT INTO api_tokens (user_id, name, token_hash, permissions, created_at, expires_at)
      VALUES (?, ?, ?, ?, ?, ?)`);
    this.useStmt = db.prepare(`UPDATE api_tokens SET last_used_at = @now
      WHERE token_hash = @hash AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > @now)
      RETURNING id, user_id AS userId, permissions`);
    this.byId = db.prepare(`${SELECT_TOKEN} WHERE t.id = ?`);
    this.listAll = db.prepare(`${SELECT_TOKEN} ORDER BY t.id DESC`);
    this.listForUser = db.prepare(`${SELECT_TOKEN} WHERE t.user_id = ? ORDER BY t.id DESC`);
    this.revokeStmt = db.prepare('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL');
  }

  /** A new token for `userId`; the answer's `token` is the only time the secret exists in clear. */
  create(userId: number, name: string, permissions: string[] | null, expiresAt: Date | null, now = Date.now()): ApiToken & { token: string } {
    const token = API_TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const id = Number(
      this.insert.run(userId, name, tokenHash(token), permissions === null ? null : JSON.stringify(permissions), now, expiresAt?.getTime() ?? null)
        .lastInsertRowid,
    );
    return { ...this.get(id)!, token };
  }

  /** The live token's id, user and permission limit (recording its use); null when unknown, revoked or expired. */
  use(token: string, now = Date.now()): { id: number; userId: number; permissions: string[] | null } | null {
    if (!token.startsWith(API_TOKEN_PREFIX)) return null;
    const row = this.useStmt.get({ hash: tokenHash(token), now }) as { id: number; userId: number; permissions: string | null } | undefined;
    if (!row) return null;
    return { id: row.id, userId: row.userId, permissions: row.permissions === null ? null : (JSON.parse(row.permissions) as string[]) };
  }

  get(id: number): ApiToken | null {
    const row = this.byId.get(id) as TokenRow | undefined;
    return row ? toToken(row) : null;
  }

  /** Tokens of one user, or of everybody (userId null), newest first. */
  list(userId: number | null): ApiToken[] {
    return ((userId === null ? this.listAll.all() : this.listForUser.all(userId)) as TokenRow[]).map(toToken);
  }

  /** True when the token was live and is now revoked. */
  revoke(id: number, now = Date.now()): boolean {
    return this.revokeStmt.run(now, id).changes === 1;
  }
}
