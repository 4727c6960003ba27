// The product's alarms (seed 000 §1.20, reference/interop.md "SNMP alarms for AudioCodes OVOC").
// Every component raises through the catalog with these; the SNMP agent turns them into traps.

export const ALARM_KINDS = {
  RecordingResourceUnavailable: { name: 'RecordingResourceUnavailable', oid: '1.3.6.1.4.1.5003.9.40.3.2.0.100' },
  ConnectionFailed: { name: 'ConnectionFailed', oid: '1.3.6.1.4.1.5003.9.40.3.2.0.101' },
} as const;

export type AlarmKind = keyof typeof ALARM_KINDS;

/** Alarm sources as OVOC shows them: `<applianceId>/Recorder`, `<applianceId>/<Target>-SystemConfiguration`. */
export const alarmSource = {
  recorder: (applianceId: string) => `${applianceId}/Recorder`,
  mediaEngine: (applianceId: string) => `${applianceId}/MediaEngine`,
  storage: (applianceId: string, targetName: string) => `${applianceId}/${targetName}-SystemConfiguration`,
};
