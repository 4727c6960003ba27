import type BetterSqlite3 from 'better-sqlite3';
import { InvalidInputError } from './errors.js';
import type { Alarm, AlarmEvent, RaiseAlarm, Severity } from './types.js';

type Database = BetterSqlite3.Database;
type Statement = BetterSqlite3.Statement;

const SEVERITIES: readonly Severity[] = ['indeterminate', 'warning', 'minor', 'major', 'critical'];

interface AlarmRow {
  id: number;
  name: string;
  oid: string;
  source: string;
  severity: Severity;
  state: 'active' | 'cleared';
  text: string;
  raised_at: number;
  cleared_at: number | null;
}

interface EventRow extends AlarmRow {
  event_id: number;
  event: AlarmEvent['event'];
  at: number;
}

const ALARM_COLUMNS = 'id, name, oid, source, severity, state, text, raised_at, cleared_at';

/**
 * Alarms shared by every process (recorder, portal, snmp). One row per occurrence in `alarms`,
 * every raise / severity change / clear appended to `alarm_history`; `active_alarms` is the
 * current view. Raise and clear run in IMMEDIATE transactions so two processes never race.
 */
export class AlarmsRepo {
  private readonly findActive: Statement;
  private readonly insertAlarm: Statement;
  private readonly updateSeverity: Statement;
  private readonly clearStmt: Statement;
  private readonly insertEvent: Statement;
  private readonly byId: Statement;
  private readonly activeStmt: Statement;
  private readonly recentStmt: Statement;
  private readonly historyStmt: Statement;
  private readonly afterStmt: Statement;
  private readonly lastEventStmt: Statement;
  private readonly raiseTx: BetterSqlite3.Transaction<(a: RaiseAlarm) => { alarm: Alarm; changed: boolean }>;
  private readonly clearTx: BetterSqlite3.Transaction<(name: string, source: string) => Alarm | null>;

  constructor(db: Database) {
    this.findActive = db.prepare(`SELECT ${ALARM_COLUMNS} FROM active_alarms WHERE name = ? AND source = ?`);
    this.insertAlarm = db.prepare(`INSERT INTO alarms (name, oid, source, severity, state, text, raised_at, updated_at)
      VALUES (@name, @oid, @source, @severity, 'active', @text, @now, @now)`);
    this.updateSeverity = db.prepare(
      'UPDATE alarms SET severity = @severity, oid = @oid, text = @text, updated_at = @now WHERE id = @id',
    );
    this.clearStmt = db.prepare(`UPDATE alarms SET state = 'cleared', cleared_at = @now, updated_at = @now WHERE id = @id`);
    this.insertEvent = db.prepare(`INSERT INTO alarm_history (alarm_id, at, event, severity, text)
      VALUES (@alarmId, @now, @event, @severity, @text)`);
    this.byId = db.prepare(`SELECT ${ALARM_COLUMNS} FROM alarms WHERE id = ?`);
    this.activeStmt = db.prepare(`SELECT ${ALARM_COLUMNS} FROM active_alarms ORDER BY raised_at DESC, id DESC`);
    this.recentStmt = db.prepare(`SELECT ${ALARM_COLUMNS} FROM alarms
      ORDER BY state = 'active' DESC, updated_at DESC, id DESC LIMIT ?`);
    this.historyStmt = db.prepare(`SELECT a.id, a.name, a.oid, a.source, h.severity,
        CASE h.event WHEN 'clear' THEN 'cleared' ELSE 'active' END AS state, h.text, a.raised_at,
        CASE h.event WHEN 'clear' THEN h.at END AS cleared_at, h.id AS event_id, h.event, h.at
      FROM alarm_history h JOIN alarms a ON a.id = h.alarm_id
      ORDER BY h.id DESC LIMIT ?`);

    this.afterStmt = db.prepare(`SELECT a.id, a.name, a.oid, a.source, h.severity,
        CASE h.event WHEN 'clear' THEN 'cleared' ELSE 'active' END AS state, h.text, a.raised_at,
        CASE h.event WHEN 'clear' THEN h.at END AS cleared_at, h.id AS event_id, h.event, h.at,
        (SELECT min(f.id) FROM alarm_history f WHERE f.alarm_id = a.id) AS first_event_id
      FROM alarm_history h JOIN alarms a ON a.id = h.alarm_id
      WHERE h.id > ? ORDER BY h.id LIMIT ?`);
    this.lastEventStmt = db.prepare('SELECT coalesce(max(id), 0) AS id FROM alarm_history');

    this.raiseTx = db.transaction((a: RaiseAlarm) => {
      const now = Date.now();
      const current = this.findActive.get(a.name, a.source) as AlarmRow | undefined;
      if (current && current.severity === a.severity) return { alarm: toAlarm(current), changed: false };
      let id: number;
      if (current) {
        id = current.id;
        this.updateSeverity.run({ id, severity: a.severity, oid: a.oid, text: a.text, now });
      } else {
        id = Number(this.insertAlarm.run({ ...a, now }).lastInsertRowid);
      }
      this.insertEvent.run({ alarmId: id, now, event: current ? 'change' : 'raise', severity: a.severity, text: a.text });
      return { alarm: toAlarm(this.byId.get(id) as AlarmRow), changed: true };
    });
    this.clearTx = db.transaction((name: string, source: string) => {
      const current = this.findActive.get(name, source) as AlarmRow | undefined;
      if (!current) return null;
      const now = Date.now();
      this.clearStmt.run({ id: current.id, now });
      this.insertEvent.run({ alarmId: current.id, now, event: 'clear', severity: 'cleared', text: current.text });
      return toAlarm(this.byId.get(current.id) as AlarmRow);
    });
  }

  /**
   * Raises (or re-raises at another severity) the alarm `name` of `source`. changed=false when
   * it is already active at that severity: the caller sends no new trap.
   */
  raise(a: RaiseAlarm): { alarm: Alarm; changed: boolean } {
    if (!SEVERITIES.includes(a.severity)) {
      throw new InvalidInputError(`alarm severity must be one of ${SEVERITIES.join(', ')} (use clear() to clear)`);
    }
    return this.raiseTx.immediate(a);
  }

  /** Clears the active alarm `name` of `source`; null when none is active. */
  clear(name: string, source: string): Alarm | null {
    return this.clearTx.immediate(name, source);
  }

  active(): Alarm[] {
    return (this.activeStmt.all() as AlarmRow[]).map(toAlarm);
  }

  /** Occurrences for a status page: every active one first, then the most recently changed. */
  recent(limit: number): Alarm[] {
    return (this.recentStmt.all(Math.max(1, Math.trunc(limit))) as AlarmRow[]).map(toAlarm);
  }

  /** The event log, newest first: one entry per raise, severity change and clear. */
  history(limit: number): AlarmEvent[] {
    return (this.historyStmt.all(Math.max(1, Math.trunc(limit))) as EventRow[]).map((r) => ({
      ...toAlarm(r),
      eventId: r.event_id,
      event: r.event,
      at: new Date(r.at).toISOString(),
    }));
  }

  /**
   * Events after `eventId`, oldest first: what a watcher (the SNMP agent) has not seen yet.
   * `firstEventId` is the raise that opened the occurrence, so a watcher that was away can tell
   * whether it ever reported that occurrence.
   */
  eventsAfter(eventId: number, limit: number): Array<AlarmEvent & { firstEventId: number }> {
    return (this.afterStmt.all(eventId, Math.max(1, Math.trunc(limit))) as Array<EventRow & { first_event_id: number }>).map((r) => ({
      ...toAlarm(r),
      eventId: r.event_id,
      event: r.event,
      at: new Date(r.at).toISOString(),
      firstEventId: r.first_event_id,
    }));
  }

  /** The newest event's id (0 when there is none). */
  lastEventId(): number {
    return (this.lastEventStmt.get() as { id: number }).id;
  }
}

function toAlarm(r: AlarmRow): Alarm {
  return {
    id: r.id,
    name: r.name,
    oid: r.oid,
    source: r.source,
    severity: r.severity,
    state: r.state,
    text: r.text,
    raisedAt: new Date(r.raised_at).toISOString(),
    clearedAt: r.cleared_at === null ? null : new Date(r.cleared_at).toISOString(),
  };
}
