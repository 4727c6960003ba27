// The SNMP process learns about alarms only from the catalog's alarm history (never from the
// recorder): each event after a cursor is one trap. The cursor is kept in a small file next to
// the catalog, so a restarted agent knows which clears it missed while it was down.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Catalog } from '../storage/catalog/index.js';
import type { Alarm, AlarmEvent } from '../storage/catalog/types.js';

export type FeedEvent = AlarmEvent & { firstEventId: number };

export interface FeedStart {
  /** Every alarm active now: re-sent after coldStart so the NOC resynchronises. */
  active: Alarm[];
  /**
   * Clears that happened while the agent was down, of occurrences it had reported before: the
   * NOC still shows those raised. An occurrence raised and cleared while down is not sent at all.
   */
  missedClears: FeedEvent[];
}

export class AlarmFeed {
  private cursor = 0;

  constructor(
    private readonly catalog: Catalog,
    private readonly cursorFile: string,
    private readonly batch = 200,
  ) {}

  /** Reads the state to resynchronise from, in one snapshot, and moves the cursor to its end. */
  start(): FeedStart {
    const saved = this.readCursor();
    const { active, last } = this.catalog.snapshot(() => ({ active: this.catalog.alarms.active(), last: this.catalog.alarms.lastEventId() }));
    const missedClears: FeedEvent[] = [];
    if (saved !== null && saved < last) {
      const activeIds = new Set(active.map((a) => a.id));
      let from = saved;
      for (;;) {
        const events = this.catalog.alarms.eventsAfter(from, this.batch).filter((e) => e.eventId <= last);
        for (const e of events) {
          if (e.event === 'clear' && e.firstEventId <= saved && !activeIds.has(e.id)) missedClears.push(e);
        }
        if (events.length < this.batch) break;
        from = events[events.length - 1]!.eventId;
      }
    }
    this.cursor = last;
    return { active, missedClears };
  }

  /** Events since the last call (or since start), oldest first. */
  poll(): FeedEvent[] {
    const events = this.catalog.alarms.eventsAfter(this.cursor, this.batch);
    if (events.length) this.cursor = events[events.length - 1]!.eventId;
    return events;
  }

  /** Records that every event up to the cursor has been sent. */
  save(): void {
    mkdirSync(dirname(this.cursorFile), { recursive: true });
    const tmp = `${this.cursorFile}.tmp`;
    writeFileSync(tmp, JSON.stringify({ eventId: this.cursor }));
    renameSync(tmp, this.cursorFile);
  }

  private readCursor(): number | null {
    try {
      const v = (JSON.parse(readFileSync(this.cursorFile, 'utf8')) as { eventId?: unknown }).eventId;
      return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : null;
    } catch {
      return null;
    }
  }
}
