import type BetterSqlite3 from 'better-sqlite3';
import type { MediaFile } from './types.js';

type Database = BetterSqlite3.Database;
type Statement = BetterSqlite3.Statement;

/** A media file listed in the catalog that still waits in the local spool for its upload. */
export interface QueuedUpload {
  interactionId: string;
  format: MediaFile['format'];
  key: string;
  bytes: number;
  sha256: string;
  /** When it was queued (ms since the epoch). */
  queuedAt: number;
}

/**
 * The upload queue of spool-and-forward: the media_files rows whose location is still 'spool'.
 * Being rows of the catalog, the queue survives kill -9 with it and needs no file of its own.
 */
export class UploadQueueRepo {
  private readonly listStmt: Statement;
  private readonly countStmt: Statement;
  private readonly storedStmt: Statement;

  constructor(db: Database) {
    this.listStmt = db.prepare(`SELECT interaction_id, format, key, bytes, sha256, created_at FROM media_files
      WHERE location = 'spool' ORDER BY created_at, interaction_id, format LIMIT ?`);
    this.countStmt = db.prepare(`SELECT count(*) AS n FROM media_files WHERE location = 'spool'`);
    // The key and hash must still be the ones verified: a file replaced meanwhile stays queued.
    this.storedStmt = db.prepare(`UPDATE media_files SET location = 'target', stored_at = @now
      WHERE interaction_id = @id AND format = @format AND key = @key AND sha256 = @sha256 AND location = 'spool'`);
  }

  /** Oldest first. */
  list(limit = 100): QueuedUpload[] {
    return (this.listStmt.all(limit) as Array<{ interaction_id: string; format: MediaFile['format']; key: string; bytes: number; sha256: string; created_at: number }>).map((r) => ({
      interactionId: r.interaction_id,
      format: r.format,
      key: r.key,
      bytes: r.bytes,
      sha256: r.sha256,
      queuedAt: r.created_at,
    }));
  }

  count(): number {
    return (this.countStmt.get() as { n: number }).n;
  }

  /** The target holds a verified copy; returns false when the row changed or was already stored. */
  markStored(u: Pick<QueuedUpload, 'interactionId' | 'format' | 'key' | 'sha256'>): boolean {
    return this.storedStmt.run({ id: u.interactionId, format: u.format, key: u.key, sha256: u.sha256, now: Date.now() }).changes === 1;
  }
}
