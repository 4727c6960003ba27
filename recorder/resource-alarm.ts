// RecordingResourceUnavailable of `<applianceId>/Recorder` is one alarm for several conditions
// (session capacity, spool write failure, no free RTP port, disk floors). Each part of the
// recorder states its own condition here; the alarm in the catalog carries the worst one and
// clears when none is left, so one condition ending never clears another one's alarm.
import type { AlarmsRepo } from '../storage/catalog/alarms-repo.js';
import type { Severity } from '../storage/catalog/types.js';
import { ALARM_KINDS } from '../storage/catalog/alarm-kinds.js';

export type AlarmSeverity = Exclude<Severity, 'cleared'>;

const RANK: Record<AlarmSeverity, number> = { indeterminate: 1, warning: 2, minor: 3, major: 4, critical: 5 };

/** The condition an alarm found active at start stands for, until the recorder clears it. */
export const PREVIOUS_RUN = 'previous-run';

export class ResourceAlarm {
  private readonly conditions = new Map<string, { severity: AlarmSeverity; text: string }>();
  /** What the catalog holds, so a set() that changes nothing costs no SQL. */
  private raised: AlarmSeverity | null = null;

  constructor(
    private readonly alarms: AlarmsRepo,
    readonly source: string,
  ) {
    const kind = ALARM_KINDS.RecordingResourceUnavailable;
    const current = alarms.active().find((a) => a.name === kind.name && a.source === source);
    if (current && current.severity !== 'cleared') {
      // Raised by a predecessor for a reason this process cannot re-check: it stays until cleared.
      this.raised = current.severity;
      this.conditions.set(PREVIOUS_RUN, { severity: current.severity, text: current.text });
    }
  }

  /** States `condition` at `severity` with `text`, or ends it (null). */
  set(condition: string, severity: AlarmSeverity | null, text = ''): void {
    if (severity === null) {
      if (!this.conditions.delete(condition)) return;
    } else {
      this.conditions.set(condition, { severity, text });
    }
    this.sync();
  }

  /** The severity of `condition`, or null when it is not active. */
  severityOf(condition: string): AlarmSeverity | null {
    return this.conditions.get(condition)?.severity ?? null;
  }

  /** The severity the alarm has now (the worst condition), or null when it is clear. */
  get severity(): AlarmSeverity | null {
    return this.raised;
  }

  private sync(): void {
    let worst: { severity: AlarmSeverity; text: string } | null = null;
    for (const c of this.conditions.values()) if (!worst || RANK[c.severity] > RANK[worst.severity]) worst = c;
    const kind = ALARM_KINDS.RecordingResourceUnavailable;
    if (!worst) {
      if (this.raised === null) return;
      this.raised = null;
      this.alarms.clear(kind.name, this.source);
      return;
    }
    if (worst.severity === this.raised) return;
    this.raised = worst.severity;
    this.alarms.raise({ ...kind, source: this.source, severity: worst.severity, text: worst.text });
  }
}

/**
 * Session capacity as AudioCodes grades it: major from 80 % of the maximum, critical at 100 %,
 * cleared only at or below 60 % (between 60 and 80 % an active alarm stays major).
 */
export function capacitySeverity(active: number, max: number, current: AlarmSeverity | null): AlarmSeverity | null {
  if (active >= max) return 'critical';
  if (active * 100 >= max * 80) return 'major';
  if (active * 100 <= max * 60) return null;
  return current === null ? null : 'major';
}
