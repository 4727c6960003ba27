import type { Migration } from './index.js';

// What the portal's interaction search adds (seed 000 §1.7, §1.8, §1.14):
//
// - tags: the tag vocabulary operators manage ("Manage Tags": TAG NAME | DESCRIPTION). "By
//   default, the Notes tag is already defined within the system." Tags already on calls join the
//   vocabulary so nothing assigned before this version becomes unknown.
// - saved_searches: a user's named queries ("Save Search"), private to that user (the seed leaves
//   sharing open; per user is its proposal). The query is the API's filter object as JSON.
// - interactions_duration: sorting by Duration walks this index instead of sorting the catalog;
//   the expression (unanswered/unfinished = -1) is the one the list's ORDER BY uses.
const sql = `
CREATE TABLE tags (
  name        TEXT PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 64),
  description TEXT NOT NULL DEFAULT '' CHECK (length(description) <= 500),
  created_at  INTEGER NOT NULL
) STRICT;
INSERT INTO tags (name, description, created_at)
  VALUES ('Notes', 'Calls with notes worth reading', CAST(unixepoch('subsec') * 1000 AS INTEGER));
INSERT OR IGNORE INTO tags (name, created_at)
  SELECT DISTINCT tag, CAST(unixepoch('subsec') * 1000 AS INTEGER) FROM interaction_tags WHERE length(tag) BETWEEN 1 AND 64;

CREATE TABLE saved_searches (
  id         INTEGER PRIMARY KEY,
  user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name       TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  query      TEXT NOT NULL CHECK (json_valid(query)),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (user_id, name)
) STRICT;

CREATE INDEX interactions_duration ON interactions (ifnull(duration_ms, -1), id);
`;

export const interactionSearch: Migration = {
  version: 11,
  name: 'interaction search: tag vocabulary, saved searches per user, duration sort index',
  up(db) {
    db.exec(sql);
  },
};
