import type { Migration } from './index.js';

// What a recording session tells us while it runs: every version of the raw metadata XML (kept
// verbatim for disputes and support), timed events (pause, resume, DTMF, refresh...), and the
// correlation ids SRCs put in metadata and headers, indexed so a call can be found by any of them.
const sql = `
ALTER TABLE streams ADD COLUMN mixed INTEGER NOT NULL DEFAULT 0 CHECK (mixed IN (0, 1));

CREATE TABLE metadata_versions (
  interaction_id TEXT NOT NULL REFERENCES interactions (id) ON DELETE CASCADE,
  version        INTEGER NOT NULL,
  received_at    INTEGER NOT NULL,
  method         TEXT NOT NULL,
  data_mode      TEXT,
  xml            TEXT NOT NULL,
  PRIMARY KEY (interaction_id, version)
) STRICT;

CREATE TABLE interaction_events (
  interaction_id TEXT NOT NULL REFERENCES interactions (id) ON DELETE CASCADE,
  seq            INTEGER NOT NULL,
  at             INTEGER NOT NULL,
  kind           TEXT NOT NULL,
  details        TEXT,
  PRIMARY KEY (interaction_id, seq)
) STRICT;

CREATE TABLE correlation_ids (
  interaction_id TEXT NOT NULL REFERENCES interactions (id) ON DELETE CASCADE,
  kind           TEXT NOT NULL,
  value          TEXT NOT NULL COLLATE NOCASE,
  PRIMARY KEY (interaction_id, kind, value)
) STRICT;
CREATE INDEX correlation_ids_value ON correlation_ids (value);
CREATE INDEX interactions_session_id ON interactions (session_id);
`;

export const sessionHistory: Migration = {
  version: 2,
  name: 'session history: metadata versions, events, correlation ids, mixed streams',
  up(db) {
    db.exec(sql);
  },
};
