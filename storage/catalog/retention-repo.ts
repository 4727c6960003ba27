import type BetterSqlite3 from 'better-sqlite3';
import { InvalidInputError, LegalHoldError, NotFoundError } from './errors.js';
import { SearchIndex } from './search-index.js';
import type { MediaFile } from './types.js';

type Database = BetterSqlite3.Database;
type Statement = BetterSqlite3.Statement;

/** A recording the purge job may remove: its expiry has passed and nothing holds it. */
export interface ExpiredRecording {
  id: string;
  startTime: string;
  expiresAt: string;
  files: Array<Pick<MediaFile, 'format' | 'key' | 'bytes' | 'sha256'>>;
}

export interface TombstoneOptions {
  reason: 'retention' | 'manual';
  /** Also remove the call's metadata (parties, participants, notes, tags, SIPREC metadata, events). */
  removeMetadata: boolean;
  at: Date;
}

// Held = the recording's own hold or a hold on any user the call is linked to.
const HELD_SQL = `(i.legal_hold_since IS NOT NULL OR EXISTS (
  SELECT 1 FROM interaction_users l JOIN users u ON u.id = l.user_id
   WHERE l.interaction_id = i.id AND u.legal_hold_since IS NOT NULL))`;

// Calls still being recorded or stored are left for a later run.
const EXPIRED_SQL = `i.expires_at IS NOT NULL AND i.expires_at <= @now AND i.deleted_at IS NULL
  AND i.status IN ('available', 'failed')`;

/** Retention, legal hold and tombstones: what the purge job and manual deletion need. */
export class RetentionRepo {
  private readonly expiredStmt: Statement;
  private readonly heldCountStmt: Statement;
  private readonly heldStmt: Statement;
  private readonly filesStmt: Statement;
  private readonly existsStmt: Statement;
  private readonly recordingHoldStmt: Statement;
  private readonly userHoldStmt: Statement;
  private readonly setRecordingHoldStmt: Statement;
  private readonly setUserHoldStmt: Statement;
  private readonly markDeleted: Statement;
  private readonly scrubRow: Statement;
  private readonly scrubChildren: Statement[];
  private readonly deleteFiles: Statement;
  private readonly search: SearchIndex;
  private readonly tombstoneTx: (id: string, o: TombstoneOptions) => void;

  constructor(db: Database) {
    this.expiredStmt = db.prepare(`SELECT i.id, i.start_time, i.expires_at FROM interactions i
      WHERE ${EXPIRED_SQL} AND NOT ${HELD_SQL} ORDER BY i.expires_at, i.id LIMIT @limit`);
    this.heldCountStmt = db.prepare(`SELECT count(*) AS n FROM interactions i WHERE ${EXPIRED_SQL} AND ${HELD_SQL}`);
    this.heldStmt = db.prepare(`SELECT ${HELD_SQL} AS held FROM interactions i WHERE i.id = ?`);
    this.filesStmt = db.prepare('SELECT format, key, bytes, sha256 FROM media_files WHERE interaction_id = ? ORDER BY format');
    this.existsStmt = db.prepare('SELECT deleted_at FROM interactions WHERE id = ?');
    this.recordingHoldStmt = db.prepare('SELECT legal_hold_since FROM interactions WHERE id = ?');
    this.userHoldStmt = db.prepare('SELECT legal_hold_since FROM users WHERE id = ?');
    this.setRecordingHoldStmt = db.prepare('UPDATE interactions SET legal_hold_since = ?, updated_at = ? WHERE id = ?');
    this.setUserHoldStmt = db.prepare('UPDATE users SET legal_hold_since = ?, updated_at = ? WHERE id = ?');
    this.markDeleted = db.prepare(`UPDATE interactions SET status = 'deleted', deleted_at = @at, deleted_reason = @reason,
      updated_at = @at WHERE id = @id`);
    this.scrubRow = db.prepare(`UPDATE interactions SET calling_party = NULL, calling_user = NULL, called_party = NULL,
      called_user = NULL WHERE id = ?`);
    this.scrubChildren = ['participants', 'interaction_notes', 'interaction_tags', 'metadata_versions', 'interaction_events', 'correlation_ids'].map(
      (t) => db.prepare(`DELETE FROM ${t} WHERE interaction_id = ?`),
    );
    this.deleteFiles = db.prepare('DELETE FROM media_files WHERE interaction_id = ?');
    this.search = new SearchIndex(db);
    this.tombstoneTx = db.transaction((id: string, o: TombstoneOptions) => {
      // Checked again inside the write: a hold placed since the caller looked wins.
      if (this.isHeld(id)) throw new LegalHoldError(`interaction ${id} is under legal hold; release the hold first`);
      this.deleteFiles.run(id);
      this.markDeleted.run({ id, at: o.at.getTime(), reason: o.reason });
      if (o.removeMetadata) {
        this.search.clear(id);
        this.scrubRow.run(id);
        for (const s of this.scrubChildren) s.run(id);
      }
    });
  }

  /** Expired, finished, unheld and not yet deleted recordings, soonest expiry first. */
  expired(now: Date, limit = 500): ExpiredRecording[] {
    const rows = this.expiredStmt.all({ now: now.getTime(), limit }) as Array<{ id: string; start_time: number; expires_at: number }>;
    return rows.map((r) => ({
      id: r.id,
      startTime: new Date(r.start_time).toISOString(),
      expiresAt: new Date(r.expires_at).toISOString(),
      files: this.files(r.id),
    }));
  }

  /** Expired recordings kept only because a legal hold covers them. */
  heldExpiredCount(now: Date): number {
    return (this.heldCountStmt.get({ now: now.getTime() }) as { n: number }).n;
  }

  files(id: string): ExpiredRecording['files'] {
    return this.filesStmt.all(id) as ExpiredRecording['files'];
  }

  /** Whether the recording or any user it is linked to is on legal hold. */
  isHeld(id: string): boolean {
    const row = this.heldStmt.get(id) as { held: number } | undefined;
    if (!row) throw new NotFoundError(`interaction ${id} not found`);
    return row.held === 1;
  }

  /** Puts the recording on hold (`since`) or releases it (null). False when it already was so. */
  setRecordingHold(id: string, since: Date | null): boolean {
    const row = this.existsStmt.get(id) as { deleted_at: number | null } | undefined;
    if (!row) throw new NotFoundError(`interaction ${id} not found`);
    if (since && row.deleted_at !== null) throw new InvalidInputError(`interaction ${id} was deleted; there is nothing left to hold`);
    const current = this.recordingHold(id);
    if ((current !== null) === (since !== null)) return false;
    this.setRecordingHoldStmt.run(since ? since.getTime() : null, Date.now(), id);
    return true;
  }

  /** Puts a user (and so every call linked to it, past and future) on hold, or releases it. */
  setUserHold(userId: number, since: Date | null): boolean {
    const row = this.userHoldStmt.get(userId) as { legal_hold_since: number | null } | undefined;
    if (!row) throw new NotFoundError(`user ${userId} not found`);
    if ((row.legal_hold_since !== null) === (since !== null)) return false;
    if (this.setUserHoldStmt.run(since ? since.getTime() : null, Date.now(), userId).changes === 0) {
      throw new NotFoundError(`user ${userId} not found`);
    }
    return true;
  }

  /**
   * Turns the recording into a tombstone (status 'deleted', deletedAt, deletedReason) once its
   * media is gone from the target: the file records go, and with `removeMetadata` its parties and
   * everything said about the call. Refused (LegalHoldError) while the recording is held.
   */
  tombstone(id: string, o: TombstoneOptions): void {
    this.tombstoneTx(id, o);
  }

  private recordingHold(id: string): number | null {
    const row = this.recordingHoldStmt.get(id) as { legal_hold_since: number | null } | undefined;
    return row?.legal_hold_since ?? null;
  }
}
