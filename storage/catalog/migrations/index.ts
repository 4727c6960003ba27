import type BetterSqlite3 from 'better-sqlite3';
import { initial } from './001-initial.js';
import { sessionHistory } from './002-session-history.js';
import { partialRecordings } from './003-partial-recordings.js';
import { streamQuality } from './004-stream-quality.js';
import { interactionModel } from './007-interaction-model.js';
import { compactChildren } from './008-compact-children.js';

export interface Migration {
  /** 1, 2, 3 ... in list order; recorded in schema_migrations. */
  version: number;
  name: string;
  /** Runs inside a transaction; throw to roll the whole version back. */
  up(db: BetterSqlite3.Database): void;
}

// Versions 5 (speech segments, failureReason) and 6 (storage forwarding) are written on another
// branch at the same time as 7. Until they merge, these stand-ins keep the list contiguous; the merge
// replaces them with the real entries (a catalog that ran a stand-in is a development copy only).
const reserved = (version: number): Migration => ({ version, name: `reserved ${version}`, up() {} });

/** Every schema version in order. Never edit a released entry: add the next one. */
export const migrations: readonly Migration[] = [
  initial,
  sessionHistory,
  partialRecordings,
  streamQuality,
  reserved(5),
  reserved(6),
  interactionModel,
  compactChildren,
];
