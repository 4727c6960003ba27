// The alarm-to-trap mapping OVOC understands (reference/interop.md, "SNMP alarms for AudioCodes
// OVOC"): the notification OID of the alarm, then the acBoardTrapGlobals varbinds 1-11 and 16.
import snmp, { type Varbind } from 'net-snmp';
import type { Severity } from '../storage/catalog/types.js';

export const OIDS = {
  /** acBoardTrapGlobals: varbind N is `${trapGlobals}.N`. */
  trapGlobals: '1.3.6.1.4.1.5003.9.10.1.21.1',
  keepAlive: '1.3.6.1.4.1.5003.9.10.1.21.2.0.16',
  /** sysObjectID: the product root (SIPVAULT-MIB::sipvault). */
  product: '1.3.6.1.4.1.5003.9.40',
  /** SIPVAULT-MIB::svStatus; scalar N is `${status}.N.0`. */
  status: '1.3.6.1.4.1.5003.9.40.1',
  /** SIPVAULT-ALARM-MIB::acActiveAlarmEntry; column N, row id is `${activeAlarmEntry}.N.id`. */
  activeAlarmEntry: '1.3.6.1.4.1.5003.11.1.1.1',
} as const;

export const SEVERITY_CODE: Record<Severity, number> = { cleared: 0, indeterminate: 1, warning: 2, minor: 3, major: 4, critical: 5 };

/** X.733 event types and probable causes (the values the MIB enumerates). */
export const EVENT_TYPE = { other: 0, communicationsAlarm: 1, qualityOfServiceAlarm: 2, processingErrorAlarm: 3, equipmentAlarm: 4, environmentalAlarm: 5 } as const;
export const PROBABLE_CAUSE = { other: 0, communicationsSubsystemFailure: 6, resourceAtOrNearingCapacity: 43, storageCapacityProblem: 49, underlyingResourceUnavailable: 56 } as const;

/** Type and cause per alarm, as the seed alarm sheet gives them (§1.20). */
const CLASSIFICATION: Record<string, { type: number; cause: number }> = {
  RecordingResourceUnavailable: { type: EVENT_TYPE.other, cause: PROBABLE_CAUSE.other },
  ConnectionFailed: { type: EVENT_TYPE.communicationsAlarm, cause: PROBABLE_CAUSE.other },
};

/** Name varbind: the last arc of the notification OID minus 1 (…0.100 -> 99). */
export function alarmNumber(oid: string): number {
  return Number(oid.slice(oid.lastIndexOf('.') + 1)) - 1;
}

/** RFC 2579 DateAndTime in UTC (11 octets, direction '+', offset 0). */
export function dateAndTime(d: Date): Buffer {
  const b = Buffer.alloc(11);
  b.writeUInt16BE(d.getUTCFullYear(), 0);
  b[2] = d.getUTCMonth() + 1;
  b[3] = d.getUTCDate();
  b[4] = d.getUTCHours();
  b[5] = d.getUTCMinutes();
  b[6] = d.getUTCSeconds();
  b[7] = Math.floor(d.getUTCMilliseconds() / 100);
  b[8] = 0x2b; // '+'
  return b;
}

export interface TrapContent {
  /** Notification OID (snmpTrapOID.0). */
  oid: string;
  /** The alarm's name in the catalog (RecordingResourceUnavailable, ...): picks type and cause. */
  alarm: string;
  text: string;
  source: string;
  severity: Severity;
  uniqId: number;
  at: Date;
  serial: string;
  info?: [string, string, string];
  type?: number;
  cause?: number;
}

/** The acBoardTrapGlobals varbinds 1-11 and 16, in order. */
export function trapVarbinds(t: TrapContent): Varbind[] {
  const { Integer, OctetString } = snmp.ObjectType;
  const cls = CLASSIFICATION[t.alarm] ?? { type: EVENT_TYPE.other, cause: PROBABLE_CAUSE.other };
  const info = t.info ?? ['', '', ''];
  const vb = (n: number, type: number, value: unknown): Varbind => ({ oid: `${OIDS.trapGlobals}.${n}`, type, value });
  return [
    vb(1, Integer, alarmNumber(t.oid)),
    vb(2, OctetString, t.text.slice(0, 200)),
    vb(3, OctetString, t.source.slice(0, 100)),
    vb(4, Integer, SEVERITY_CODE[t.severity]),
    vb(5, Integer, t.uniqId),
    vb(6, Integer, t.type ?? cls.type),
    vb(7, Integer, t.cause ?? cls.cause),
    vb(8, OctetString, info[0]),
    vb(9, OctetString, info[1]),
    vb(10, OctetString, info[2]),
    vb(11, OctetString, dateAndTime(t.at)),
    vb(16, OctetString, t.serial),
  ];
}

/** Type and cause of an alarm by name (for the active alarm table). */
export function classification(alarm: string): { type: number; cause: number } {
  return CLASSIFICATION[alarm] ?? { type: EVENT_TYPE.other, cause: PROBABLE_CAUSE.other };
}
