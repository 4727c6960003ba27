import type { Migration } from './index.js';

// Spool-and-forward: a media file is listed in the catalog (and playable) as soon as the call
// ends, while it still sits in the local spool; `location` says where it is now. The rows with
// location 'spool' are the upload queue, so the queue survives any crash with the catalog itself.
// `stored_at` is when the target copy was verified (size and SHA-256 read back). Rows from before
// this version were moved into the target at once and count as stored.
const sql = `
ALTER TABLE media_files ADD COLUMN location TEXT NOT NULL DEFAULT 'target' CHECK (location IN ('spool', 'target'));
ALTER TABLE media_files ADD COLUMN stored_at INTEGER;
UPDATE media_files SET stored_at = created_at;
CREATE INDEX media_files_upload_queue ON media_files (created_at) WHERE location = 'spool';
`;

export const storageForwarding: Migration = {
  version: 6,
  name: 'storage forwarding: media file location (spool or target) and verification time',
  up(db) {
    db.exec(sql);
  },
};
