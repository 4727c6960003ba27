import type { Migration } from './index.js';

// Sign-in hardening: per-account lockout, TOTP, a listable session table and API tokens.
// Login sessions are rebuilt rather than altered: they gain a public id (what the session list
// shows and DELETE takes; the cookie token stays known only as a hash) and the client's address.
// Dropping them logs everybody out once, at the upgrade.
export const signIn: Migration = {
  version: 9,
  name: 'sign-in: lockout, TOTP, session list, API tokens',
  up(db) {
    db.exec(`
ALTER TABLE users ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
-- Epoch ms until which logins are refused; NULL: not locked.
ALTER TABLE users ADD COLUMN locked_until INTEGER;
-- Base32 TOTP secret; set at enrolment, in force once totp_enabled_at is set.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_enabled_at INTEGER;
-- The last accepted 30-second step: a code is good once (RFC 6238 section 5.2).
ALTER TABLE users ADD COLUMN totp_last_step INTEGER;

DROP TABLE portal_sessions;
CREATE TABLE portal_sessions (
  id_hash             TEXT PRIMARY KEY NOT NULL,
  public_id           TEXT NOT NULL UNIQUE,
  user_id             INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  csrf_token          TEXT NOT NULL,
  idle_ms             INTEGER NOT NULL,
  created_at          INTEGER NOT NULL,
  last_seen_at        INTEGER NOT NULL,
  expires_at          INTEGER NOT NULL,
  absolute_expires_at INTEGER NOT NULL,
  ip                  TEXT,
  user_agent          TEXT
) STRICT;
CREATE INDEX portal_sessions_user ON portal_sessions (user_id);
CREATE INDEX portal_sessions_expires ON portal_sessions (expires_at);

-- Bearer tokens for integrations; token_hash = SHA-256 of the token, which is shown only once.
CREATE TABLE api_tokens (
  id           INTEGER PRIMARY KEY,
  user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name         TEXT NOT NULL,
  token_hash   TEXT NOT NULL UNIQUE,
  -- JSON array of permission names the token is limited to; NULL: all of its user's.
  permissions  TEXT,
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER,
  last_used_at INTEGER,
  revoked_at   INTEGER
) STRICT;
CREATE INDEX api_tokens_user ON api_tokens (user_id);
`);
  },
};
