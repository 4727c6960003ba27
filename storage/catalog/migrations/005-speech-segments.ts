import type { Migration } from './index.js';

// Speech per channel of a recording (the player's speaker timeline), found by the recorder's VAD
// and stored when the call ends: one row per segment, in milliseconds from the start of the
// recording. And why an interaction failed or its recording stopped early ("No RTP received",
// "Spool write failed"); NULL when nothing went wrong. Rows from before this version have neither.
const sql = `
ALTER TABLE interactions ADD COLUMN failure_reason TEXT;

CREATE TABLE speech_segments (
  interaction_id TEXT NOT NULL REFERENCES interactions (id) ON DELETE CASCADE,
  channel        INTEGER NOT NULL CHECK (channel IN (0, 1)),
  start_ms       INTEGER NOT NULL CHECK (start_ms >= 0),
  end_ms         INTEGER NOT NULL,
  CHECK (end_ms > start_ms),
  PRIMARY KEY (interaction_id, channel, start_ms)
) STRICT, WITHOUT ROWID;
`;

export const speechSegments: Migration = {
  version: 5,
  name: 'speech segments per channel; failure reason of an interaction',
  up(db) {
    db.exec(sql);
  },
};
