import type { Migration } from './index.js';

// Per-stream quality of the recording leg (SRC -> recorder), stored when the call ends: RFC 3550
// counts (expected, duplicates, reordered, late), loss rate overall and over the worst 20 s window,
// jitter maximum (jitter_ms, from 001, is the average), concealment and an E-model MOS estimate.
// Rows from before this version keep zeros and a NULL estimate.
const sql = `
ALTER TABLE streams ADD COLUMN expected INTEGER NOT NULL DEFAULT 0;
ALTER TABLE streams ADD COLUMN loss_rate REAL NOT NULL DEFAULT 0;
ALTER TABLE streams ADD COLUMN max_loss_rate_20s REAL NOT NULL DEFAULT 0;
ALTER TABLE streams ADD COLUMN duplicates INTEGER NOT NULL DEFAULT 0;
ALTER TABLE streams ADD COLUMN reordered INTEGER NOT NULL DEFAULT 0;
ALTER TABLE streams ADD COLUMN late INTEGER NOT NULL DEFAULT 0;
ALTER TABLE streams ADD COLUMN jitter_max_ms REAL NOT NULL DEFAULT 0;
ALTER TABLE streams ADD COLUMN concealed_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE streams ADD COLUMN concealed_ratio REAL NOT NULL DEFAULT 0;
ALTER TABLE streams ADD COLUMN est_mos REAL;
`;

export const streamQuality: Migration = {
  version: 4,
  name: 'stream quality: loss windows, duplicates, reordered, late, jitter max, concealment, estimated MOS',
  up(db) {
    db.exec(sql);
  },
};
