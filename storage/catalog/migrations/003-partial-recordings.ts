import type { Migration } from './index.js';

// A recording the recorder could not finish itself (it was killed mid-call and repaired the spool
// file at its next start) covers the call only up to the crash. It is still evidence, so it is
// stored and playable, but the portal and exports must be able to say it is incomplete.
const sql = `
ALTER TABLE interactions ADD COLUMN partial INTEGER NOT NULL DEFAULT 0 CHECK (partial IN (0, 1));
`;

export const partialRecordings: Migration = {
  version: 3,
  name: 'partial recordings (recovered after a recorder crash)',
  up(db) {
    db.exec(sql);
  },
};
