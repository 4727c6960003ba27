import type BetterSqlite3 from 'better-sqlite3';
import { InvalidInputError, NotFoundError } from './errors.js';
import type { SpeechSegment } from './types.js';

type Database = BetterSqlite3.Database;

const CHANNEL = { left: 0, right: 1 } as const;
const SIDE = ['left', 'right'] as const;

/** Speech segments per channel of a recording (the player's speaker timeline). */
export class SpeechRepo {
  private readonly deleteOf: BetterSqlite3.Statement;
  private readonly insert: BetterSqlite3.Statement;
  private readonly segmentsOf: BetterSqlite3.Statement;
  private readonly replaceTx: (id: string, segments: readonly SpeechSegment[]) => void;

  constructor(db: Database) {
    this.deleteOf = db.prepare('DELETE FROM speech_segments WHERE interaction_id = ?');
    this.insert = db.prepare('INSERT INTO speech_segments (interaction_id, channel, start_ms, end_ms) VALUES (?, ?, ?, ?)');
    this.segmentsOf = db.prepare('SELECT channel, start_ms, end_ms FROM speech_segments WHERE interaction_id = ? ORDER BY start_ms, channel');
    this.replaceTx = db.transaction((id: string, segments: readonly SpeechSegment[]) => {
      this.deleteOf.run(id);
      for (const s of segments) {
        const channel = CHANNEL[s.channel];
        if (channel === undefined) throw new InvalidInputError(`speech segment channel must be left or right, not ${String(s.channel)}`);
        if (!(Number.isInteger(s.startMs) && Number.isInteger(s.endMs) && s.startMs >= 0 && s.endMs > s.startMs)) {
          throw new InvalidInputError(`speech segment ${s.startMs}..${s.endMs} ms: want integers with 0 <= startMs < endMs`);
        }
        this.insert.run(id, channel, s.startMs, s.endMs);
      }
    });
  }

  /** Stores the segments of a recording, replacing any it had (all or nothing). */
  replace(id: string, segments: readonly SpeechSegment[]): void {
    try {
      this.replaceTx(id, segments);
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_FOREIGNKEY') throw new NotFoundError(`interaction ${id} not found`);
      throw err;
    }
  }

  /** By start time, left before right on a tie. Empty for an unknown interaction. */
  of(id: string): SpeechSegment[] {
    return (this.segmentsOf.all(id) as Array<{ channel: 0 | 1; start_ms: number; end_ms: number }>).map((r) => ({
      channel: SIDE[r.channel],
      startMs: r.start_ms,
      endMs: r.end_ms,
    }));
  }
}
