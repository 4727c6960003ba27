import type BetterSqlite3 from 'better-sqlite3';

/** The counts an operator's dashboard (SNMP status objects, `sipvault status`) shows. */
export interface ActivityCounts {
  /** Interactions being recorded now. */
  recording: number;
  /** Interactions that started at or after `since`. */
  started: number;
  /** Of those, the ones whose recording failed. */
  failed: number;
  /** Ended calls whose recording is not stored yet (finalising, MP3, hand-off to storage). */
  pending: number;
}

/** Read-only aggregate queries over the interactions, one statement per question. */
export class StatusRepo {
  private readonly countsStmt: BetterSqlite3.Statement;

  constructor(db: BetterSqlite3.Database) {
    // interactions_status (status, start_time) serves every branch without a table scan.
    this.countsStmt = db.prepare(`SELECT
        (SELECT count(*) FROM interactions WHERE status = 'recording') AS recording,
        (SELECT count(*) FROM interactions WHERE start_time >= @since) AS started,
        (SELECT count(*) FROM interactions WHERE status = 'failed' AND start_time >= @since) AS failed,
        (SELECT count(*) FROM interactions WHERE status = 'pending') AS pending`);
  }

  counts(since: Date): ActivityCounts {
    return this.countsStmt.get({ since: since.getTime() }) as ActivityCounts;
  }
}
