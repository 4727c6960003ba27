import type { Migration } from './index.js';

// The interaction data dictionary (seed 000 §1.21) beyond what the recorder wrote so far, the
// association of calls to portal users, notes, full-text search, retention and legal hold.
//
// - interaction_users: one row per targeted user of a call (seed 000 §1.6 "one row per targeted
//   user per call"), with the Direction relative to that user. A call without rows is unassigned
//   (seed 003 §A.8): only administrators see it.
// - expires_at: start + retention days, fixed when the call is recorded (null = keep forever).
//   Rows from before this version keep null: nobody decided a retention for them.
// - legal_hold_since (interactions and users): non-null while on hold. A held recording is never
//   purged or deleted; its expiry does not change (see portal/jobs/retention.ts).
// - deleted_at / deleted_reason: the tombstone of a purged or deleted recording (status 'deleted').
// - interactions_fts: contentless FTS5 index of parties and notes, keyed by the interactions
//   rowid, kept by the catalog code (one refresh per write, not one trigger per child row).
const sql = `
ALTER TABLE interactions ADD COLUMN answer_time INTEGER;
ALTER TABLE interactions ADD COLUMN call_type TEXT CHECK (call_type IN ('Internal p2p', 'External p2p', 'PSTN p2p',
  'Internal Meeting', 'External Meeting', 'Internal Meeting with External Participants', 'Queue Call'));
ALTER TABLE interactions ADD COLUMN expires_at INTEGER;
ALTER TABLE interactions ADD COLUMN legal_hold_since INTEGER;
ALTER TABLE interactions ADD COLUMN deleted_at INTEGER;
ALTER TABLE interactions ADD COLUMN deleted_reason TEXT CHECK (deleted_reason IN ('retention', 'manual'));
-- The purge job's scan: expired, not yet deleted.
CREATE INDEX interactions_expiry ON interactions (expires_at) WHERE expires_at IS NOT NULL AND deleted_at IS NULL;

ALTER TABLE users ADD COLUMN legal_hold_since INTEGER;
-- Linking looks users up by extension (the primary key starts with user_id).
CREATE INDEX user_extensions_extension ON user_extensions (extension);

CREATE TABLE interaction_users (
  interaction_id TEXT NOT NULL REFERENCES interactions (id) ON DELETE CASCADE,
  user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  direction      TEXT NOT NULL CHECK (direction IN ('Incoming', 'Outgoing', 'None')),
  PRIMARY KEY (interaction_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX interaction_users_user ON interaction_users (user_id, interaction_id);

CREATE TABLE interaction_notes (
  id             INTEGER PRIMARY KEY,
  interaction_id TEXT NOT NULL REFERENCES interactions (id) ON DELETE CASCADE,
  author_id      INTEGER,
  author_name    TEXT,
  text           TEXT NOT NULL CHECK (length(text) BETWEEN 1 AND 4000),
  created_at     INTEGER NOT NULL
) STRICT;
CREATE INDEX interaction_notes_interaction ON interaction_notes (interaction_id);

CREATE VIRTUAL TABLE interactions_fts USING fts5 (
  parties, notes, content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2'
);

-- Existing calls: link them to the users whose extensions match a party, as the recorder now does.
INSERT OR IGNORE INTO interaction_users (interaction_id, user_id, direction)
SELECT m.id, m.user_id,
       CASE WHEN max(m.role = 'calling') THEN 'Outgoing' WHEN max(m.role = 'called') THEN 'Incoming' ELSE 'None' END
  FROM (
    SELECT i.id, e.user_id, 'calling' AS role FROM interactions i JOIN user_extensions e ON e.extension = i.calling_user
    UNION ALL
    SELECT i.id, e.user_id, 'called' FROM interactions i JOIN user_extensions e ON e.extension = i.called_user
    UNION ALL
    SELECT p.interaction_id, e.user_id, p.role FROM participants p
      JOIN user_extensions e ON e.extension = p.aor_user OR e.extension = p.aor
  ) m GROUP BY m.id, m.user_id;

UPDATE interactions SET direction = coalesce(
  (SELECT l.direction FROM interaction_users l WHERE l.interaction_id = interactions.id ORDER BY l.user_id LIMIT 1), direction)
 WHERE id IN (SELECT interaction_id FROM interaction_users);

-- Existing calls become searchable (same text the catalog writes: addresses without their scheme).
INSERT INTO interactions_fts (rowid, parties, notes)
SELECT i.rowid,
       replace(replace(replace(
         coalesce(i.calling_party, '') || ' ' || coalesce(i.called_party, '') || ' ' ||
         coalesce((SELECT group_concat(coalesce(p.name, '') || ' ' || coalesce(p.aor, ''), ' ')
                     FROM participants p WHERE p.interaction_id = i.id), ''),
         'sips:', ''), 'sip:', ''), 'tel:', ''),
       ''
  FROM interactions i;
`;

export const interactionModel: Migration = {
  version: 7,
  name: 'interaction model: users per call, notes, full-text search, retention expiry, legal hold, tombstones',
  up(db) {
    db.exec(sql);
  },
};
