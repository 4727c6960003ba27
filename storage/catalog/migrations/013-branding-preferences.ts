import type BetterSqlite3 from 'better-sqlite3';
import type { Migration } from './index.js';

// 1. Seed 000 "Branding": one logo, shown in the top left corner of the portal. Its own one-row
//    table rather than a settings key: the image is up to half a megabyte, and settings are re-read
//    whole by every component whenever any of them changes.
// 2. Each portal user's preferences (the interaction list's columns), so they follow the user from
//    browser to browser.
export const brandingAndPreferences: Migration = {
  version: 13,
  name: 'branding-and-preferences',
  up(db: BetterSqlite3.Database) {
    db.exec(`
CREATE TABLE branding_logo (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  mime TEXT NOT NULL,
  image BLOB NOT NULL,
  sha256 TEXT NOT NULL,
  width INTEGER NOT NULL,
  height INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  updated_by TEXT
) STRICT;

CREATE TABLE user_preferences (
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, key)
) STRICT, WITHOUT ROWID;
`);
  },
};
