import type BetterSqlite3 from 'better-sqlite3';
import { initial } from './001-initial.js';
import { sessionHistory } from './002-session-history.js';
import { partialRecordings } from './003-partial-recordings.js';
import { streamQuality } from './004-stream-quality.js';
import { speechSegments } from './005-speech-segments.js';
import { storageForwarding } from './006-storage-forwarding.js';
import { interactionModel } from './007-interaction-model.js';
import { compactChildren } from './008-compact-children.js';
import { signIn } from './009-sign-in.js';
import { accessControl } from './010-access-control.js';
import { interactionSearch } from './011-interaction-search.js';
import { auditChainSettings } from './012-audit-chain-settings.js';
import { brandingAndPreferences } from './013-branding-preferences.js';

export interface Migration {
  /** 1, 2, 3 ... in list order; recorded in schema_migrations. */
  version: number;
  name: string;
  /** Runs inside a transaction; throw to roll the whole version back. */
  up(db: BetterSqlite3.Database): void;
}

/** Every schema version in order. Never edit a released entry: add the next one. */
export const migrations: readonly Migration[] = [
  initial,
  sessionHistory,
  partialRecordings,
  streamQuality,
  speechSegments,
  storageForwarding,
  interactionModel,
  compactChildren,
  signIn,
  accessControl,
  interactionSearch,
  auditChainSettings,
  brandingAndPreferences,
];
