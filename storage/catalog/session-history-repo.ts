import type BetterSqlite3 from 'better-sqlite3';
import type { MetadataVersion } from './types.js';

type Database = BetterSqlite3.Database;

/** Raw metadata versions, timed events and correlation ids of recording sessions. */
export class SessionHistoryRepo {
  private readonly insertMetadata: BetterSqlite3.Statement;
  private readonly metadataOf: BetterSqlite3.Statement;
  private readonly insertEvent: BetterSqlite3.Statement;
  private readonly insertCorrelation: BetterSqlite3.Statement;
  private readonly addMetadataTx: (id: string, v: { method: string; dataMode: string | null; xml: string; at: Date }) => number;
  private readonly setCorrelationTx: (id: string, ids: Record<string, string>) => void;

  constructor(db: Database) {
    this.insertMetadata = db.prepare(`INSERT INTO metadata_versions (interaction_id, version, received_at, method, data_mode, xml)
      VALUES (@id, (SELECT coalesce(max(version), 0) + 1 FROM metadata_versions WHERE interaction_id = @id),
              @at, @method, @dataMode, @xml)
      RETURNING version`);
    this.metadataOf = db.prepare(
      'SELECT version, received_at, method, data_mode, xml FROM metadata_versions WHERE interaction_id = ? ORDER BY version',
    );
    this.insertEvent = db.prepare(`INSERT INTO interaction_events (interaction_id, seq, at, kind, details)
      VALUES (@id, (SELECT coalesce(max(seq), 0) + 1 FROM interaction_events WHERE interaction_id = @id), @at, @kind, @details)`);
    this.insertCorrelation = db.prepare('INSERT OR IGNORE INTO correlation_ids (interaction_id, kind, value) VALUES (?, ?, ?)');
    this.addMetadataTx = db.transaction((id, v) => {
      const row = this.insertMetadata.get({ id, at: v.at.getTime(), method: v.method, dataMode: v.dataMode, xml: v.xml }) as { version: number };
      return row.version;
    });
    this.setCorrelationTx = db.transaction((id: string, ids: Record<string, string>) => {
      for (const [kind, value] of Object.entries(ids)) if (value) this.insertCorrelation.run(id, kind, value);
    });
  }

  /** Keeps one more version of the raw metadata XML; returns its version number (1, 2, ...). */
  addMetadata(id: string, v: { method: string; dataMode: string | null; xml: string; at?: Date }): number {
    return this.addMetadataTx(id, { ...v, at: v.at ?? new Date() });
  }

  metadata(id: string): MetadataVersion[] {
    return (this.metadataOf.all(id) as Array<{ version: number; received_at: number; method: string; data_mode: string | null; xml: string }>).map((r) => ({
      version: r.version,
      receivedAt: new Date(r.received_at).toISOString(),
      method: r.method,
      dataMode: r.data_mode,
      xml: r.xml,
    }));
  }

  addEvent(id: string, e: { kind: string; at?: Date; details?: Record<string, unknown> | null }): void {
    this.insertEvent.run({ id, at: (e.at ?? new Date()).getTime(), kind: e.kind, details: e.details ? JSON.stringify(e.details) : null });
  }

  /** Adds correlation ids (existing ones are kept: metadata updates only ever add). */
  addCorrelationIds(id: string, ids: Record<string, string>): void {
    this.setCorrelationTx(id, ids);
  }
}
