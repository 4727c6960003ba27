import type { Migration } from './index.js';

// Conventions: times are INTEGER milliseconds since the Unix epoch (UTC); booleans are 0/1;
// text the portal searches case-insensitively is declared COLLATE NOCASE so that `=` and
// prefix LIKE can use the index. `*_user` columns hold the user part of an AoR
// (sip:+15551234@host -> +15551234), computed by the catalog when it writes the row.
const sql = `
CREATE TABLE interactions (
  id            TEXT PRIMARY KEY NOT NULL
                CHECK (length(id) = 24 AND id NOT GLOB '*[^0-9a-f]*'),
  call_id       TEXT NOT NULL,
  session_id    TEXT,
  start_time    INTEGER NOT NULL,
  end_time      INTEGER,
  duration_ms   INTEGER,
  direction     TEXT NOT NULL CHECK (direction IN ('Incoming', 'Outgoing', 'None')),
  calling_party TEXT COLLATE NOCASE,
  calling_user  TEXT COLLATE NOCASE,
  called_party  TEXT COLLATE NOCASE,
  called_user   TEXT COLLATE NOCASE,
  status        TEXT NOT NULL
                CHECK (status IN ('recording', 'pending', 'available', 'failed', 'deleted')),
  release_cause TEXT
                CHECK (release_cause IN ('Normal', 'Failure', 'Missed', 'Abandoned', 'Transferred')),
  src           TEXT NOT NULL,
  party_rule    TEXT,
  updated_at    INTEGER NOT NULL
) STRICT;
-- (start_time, id) is the list order and the keyset cursor.
CREATE INDEX interactions_start_time ON interactions (start_time, id);
CREATE INDEX interactions_call_id ON interactions (call_id);
CREATE INDEX interactions_calling_party ON interactions (calling_party);
CREATE INDEX interactions_called_party ON interactions (called_party);
CREATE INDEX interactions_calling_user ON interactions (calling_user);
CREATE INDEX interactions_called_user ON interactions (called_user);
CREATE INDEX interactions_status ON interactions (status, start_time);

CREATE TABLE participants (
  interaction_id TEXT NOT NULL REFERENCES interactions (id) ON DELETE CASCADE,
  ord            INTEGER NOT NULL,
  participant_id TEXT NOT NULL,
  name           TEXT COLLATE NOCASE,
  aor            TEXT COLLATE NOCASE,
  aor_user       TEXT COLLATE NOCASE,
  role           TEXT NOT NULL CHECK (role IN ('calling', 'called', 'other')),
  PRIMARY KEY (interaction_id, ord)
) STRICT;
CREATE INDEX participants_aor ON participants (aor);
CREATE INDEX participants_aor_user ON participants (aor_user);
CREATE INDEX participants_name ON participants (name);

CREATE TABLE streams (
  interaction_id TEXT NOT NULL REFERENCES interactions (id) ON DELETE CASCADE,
  label          TEXT NOT NULL,
  participant_id TEXT,
  channel        INTEGER NOT NULL CHECK (channel IN (0, 1)),
  codec          TEXT,
  packets        INTEGER NOT NULL DEFAULT 0,
  lost           INTEGER NOT NULL DEFAULT 0,
  jitter_ms      REAL NOT NULL DEFAULT 0,
  PRIMARY KEY (interaction_id, label)
) STRICT;

CREATE TABLE media_files (
  interaction_id TEXT NOT NULL REFERENCES interactions (id) ON DELETE CASCADE,
  format         TEXT NOT NULL CHECK (format IN ('wav', 'mp3')),
  key            TEXT NOT NULL,
  bytes          INTEGER NOT NULL,
  sha256         TEXT NOT NULL,
  sample_rate    INTEGER NOT NULL,
  channels       INTEGER NOT NULL,
  duration_ms    INTEGER NOT NULL,
  created_at     INTEGER NOT NULL,
  PRIMARY KEY (interaction_id, format)
) STRICT;

CREATE TABLE interaction_tags (
  interaction_id TEXT NOT NULL REFERENCES interactions (id) ON DELETE CASCADE,
  tag            TEXT NOT NULL,
  PRIMARY KEY (interaction_id, tag)
) STRICT;
CREATE INDEX interaction_tags_tag ON interaction_tags (tag);

CREATE TABLE users (
  id                   INTEGER PRIMARY KEY,
  username             TEXT NOT NULL UNIQUE COLLATE NOCASE,
  -- $scrypt$ln=..,r=..,p=..$salt$hash (parameters travel with the hash)
  password_hash        TEXT NOT NULL,
  role                 TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'user', 'auditor')),
  must_change_password INTEGER NOT NULL DEFAULT 0 CHECK (must_change_password IN (0, 1)),
  created_at           INTEGER NOT NULL,
  updated_at           INTEGER NOT NULL
) STRICT;

CREATE TABLE user_extensions (
  user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  extension TEXT NOT NULL COLLATE NOCASE,
  PRIMARY KEY (user_id, extension)
) STRICT;

-- id_hash = SHA-256 of the cookie token: a copy of the catalog does not hand out live sessions.
CREATE TABLE portal_sessions (
  id_hash             TEXT PRIMARY KEY NOT NULL,
  user_id             INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  csrf_token          TEXT NOT NULL,
  idle_ms             INTEGER NOT NULL,
  created_at          INTEGER NOT NULL,
  last_seen_at        INTEGER NOT NULL,
  expires_at          INTEGER NOT NULL,
  absolute_expires_at INTEGER NOT NULL
) STRICT;
CREATE INDEX portal_sessions_user ON portal_sessions (user_id);
CREATE INDEX portal_sessions_expires ON portal_sessions (expires_at);

-- One row per alarm occurrence, from raise to clear; severity follows the latest raise.
CREATE TABLE alarms (
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  oid        TEXT NOT NULL,
  source     TEXT NOT NULL,
  severity   TEXT NOT NULL
             CHECK (severity IN ('indeterminate', 'warning', 'minor', 'major', 'critical')),
  state      TEXT NOT NULL CHECK (state IN ('active', 'cleared')),
  text       TEXT NOT NULL,
  raised_at  INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  cleared_at INTEGER
) STRICT;
-- At most one active occurrence per alarm name and source, whichever process raises it.
CREATE UNIQUE INDEX alarms_one_active ON alarms (name, source) WHERE state = 'active';
CREATE INDEX alarms_updated ON alarms (updated_at);

-- Every raise, severity change and clear, in order (the NOC's alarm history).
CREATE TABLE alarm_history (
  id       INTEGER PRIMARY KEY,
  alarm_id INTEGER NOT NULL REFERENCES alarms (id) ON DELETE CASCADE,
  at       INTEGER NOT NULL,
  event    TEXT NOT NULL CHECK (event IN ('raise', 'change', 'clear')),
  severity TEXT NOT NULL
           CHECK (severity IN ('cleared', 'indeterminate', 'warning', 'minor', 'major', 'critical')),
  text     TEXT NOT NULL
) STRICT;
CREATE INDEX alarm_history_alarm ON alarm_history (alarm_id);

CREATE VIEW active_alarms AS SELECT * FROM alarms WHERE state = 'active';

-- No foreign key on user_id: the trail outlives the accounts it names.
CREATE TABLE audit (
  id       INTEGER PRIMARY KEY,
  at       INTEGER NOT NULL,
  user_id  INTEGER,
  username TEXT,
  action   TEXT NOT NULL,
  target   TEXT,
  details  TEXT CHECK (details IS NULL OR json_valid(details)),
  ip       TEXT
) STRICT;
CREATE INDEX audit_at ON audit (at);
`;

export const initial: Migration = {
  version: 1,
  name: 'initial',
  up(db) {
    db.exec(sql);
  },
};
