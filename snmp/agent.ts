// The SNMP agent (GET/GETNEXT/GETBULK, read-only): MIB-II system group, SIPVAULT-MIB status
// objects and SIPVAULT-ALARM-MIB's active alarm table. Values are pushed in by the service
// (status every second, alarm rows as the alarm feed reports them).
import type { Socket } from 'node:dgram';
import snmp, { type Agent, type Mib } from 'net-snmp';
import type { Config } from '../config/schema.js';
import { splitHostPort } from '../config/loader.js';
import type { Alarm } from '../storage/catalog/types.js';
import { OIDS, SEVERITY_CODE, alarmNumber, classification, dateAndTime } from './ovoc-trap.js';
import { toNetSnmpUser } from './trap-sender.js';
import type { StatusSnapshot } from './status-snapshot.js';

const SYSTEM = '1.3.6.1.2.1.1';
const TABLE = 'acActiveAlarmTable';

const STATUS_SCALARS: Array<{ n: number; name: keyof StatusSnapshot; type: 'Gauge' | 'OctetString' | 'Integer' }> = [
  { n: 1, name: 'activeSessions', type: 'Gauge' },
  { n: 2, name: 'maxSessions', type: 'Gauge' },
  { n: 3, name: 'callsToday', type: 'Gauge' },
  { n: 4, name: 'failedToday', type: 'Gauge' },
  { n: 5, name: 'storageName', type: 'OctetString' },
  { n: 6, name: 'storageState', type: 'Integer' },
  { n: 7, name: 'freeDiskMBytes', type: 'Gauge' },
  { n: 8, name: 'spoolBacklog', type: 'Gauge' },
  { n: 9, name: 'activeAlarms', type: 'Gauge' },
];

export interface AgentOptions {
  config: Config;
  engineId: string;
  /** centiseconds since the agent started (sysUpTime). */
  upTime: () => number;
  sysDescr: string;
  /** A socket error the agent cannot serve with (the listen address is taken or not ours). */
  onFatal: (err: Error) => void;
  /** Requests refused (unknown community, bad v3 credentials): logged, never fatal. */
  onRefused: (err: Error) => void;
}

export class SnmpAgent {
  private readonly agent: Agent;
  private readonly mib: Mib;
  private readonly rows = new Set<number>();

  constructor(private readonly o: AgentOptions) {
    const { host, port } = splitHostPort(o.config.snmp.agent.listen);
    this.agent = snmp.createAgent(
      { port, address: host, transport: host.includes(':') ? 'udp6' : 'udp4', engineID: o.engineId, accessControlModelType: snmp.AccessControlModelType.Simple },
      (err) => {
        if (!err) return;
        if ((err as NodeJS.ErrnoException).syscall === 'bind' || (err as NodeJS.ErrnoException).code === 'EADDRINUSE') o.onFatal(err);
        else o.onRefused(err);
      },
    );
    const auth = this.agent.getAuthorizer();
    for (const c of o.config.snmp.agent.communities) auth.addCommunity(c);
    for (const u of o.config.snmp.agent.users) auth.addUser(toNetSnmpUser(u));
    this.mib = this.agent.getMib();
    this.registerSystem();
    this.registerStatus();
    this.registerAlarmTable();
  }

  private registerSystem(): void {
    const { OctetString, OID, TimeTicks, Integer } = snmp.ObjectType;
    const ro = snmp.MaxAccess['read-only'];
    const scalar = (n: number, name: string, scalarType: number, value: unknown, handler?: () => unknown) => {
      this.mib.registerProvider({
        name,
        type: snmp.MibProviderType.Scalar,
        oid: `${SYSTEM}.${n}`,
        scalarType,
        maxAccess: ro,
        ...(handler
          ? {
              handler: (req) => {
                req.instanceNode.value = handler();
                req.done();
              },
            }
          : {}),
      });
      this.mib.setScalarValue(name, value);
    };
    const { config } = this.o;
    scalar(1, 'sysDescr', OctetString, this.o.sysDescr);
    scalar(2, 'sysObjectID', OID, OIDS.product);
    scalar(3, 'sysUpTime', TimeTicks, 0, () => this.o.upTime());
    scalar(4, 'sysContact', OctetString, config.snmp.agent.contact);
    scalar(5, 'sysName', OctetString, config.snmp.applianceId);
    scalar(6, 'sysLocation', OctetString, config.snmp.agent.location);
    // applications (layer 7) only: 2^(7-1).
    scalar(7, 'sysServices', Integer, 64);
  }

  private registerStatus(): void {
    for (const s of STATUS_SCALARS) {
      this.mib.registerProvider({
        name: `sv.${s.name}`,
        type: snmp.MibProviderType.Scalar,
        oid: `${OIDS.status}.${s.n}`,
        scalarType: snmp.ObjectType[s.type],
        maxAccess: snmp.MaxAccess['read-only'],
      });
    }
  }

  private registerAlarmTable(): void {
    const { OctetString, OID, TimeTicks, Integer, Gauge } = snmp.ObjectType;
    const ro = snmp.MaxAccess['read-only'];
    const columns: Array<[string, number]> = [
      ['acActiveAlarmSequenceNumber', Gauge],
      ['acActiveAlarmSysuptime', TimeTicks],
      ['acActiveAlarmTrapOID', OID],
      ['acActiveAlarmDateAndTime', OctetString],
      ['acActiveAlarmName', Integer],
      ['acActiveAlarmTextualDescription', OctetString],
      ['acActiveAlarmSource', OctetString],
      ['acActiveAlarmSeverity', Integer],
      ['acActiveAlarmEventType', Integer],
      ['acActiveAlarmProbableCause', Integer],
      ['acActiveAlarmAdditionalInfo1', OctetString],
      ['acActiveAlarmAdditionalInfo2', OctetString],
      ['acActiveAlarmAdditionalInfo3', OctetString],
    ];
    this.mib.registerProvider({
      name: TABLE,
      type: snmp.MibProviderType.Table,
      oid: OIDS.activeAlarmEntry,
      maxAccess: snmp.MaxAccess['not-accessible'],
      tableColumns: columns.map(([name, type], i) => ({ number: i + 1, name, type, maxAccess: ro })),
      tableIndex: [{ columnName: 'acActiveAlarmSequenceNumber' }],
    });
  }

  /**
   * Resolves once every listening socket is bound, rejects with the bind error: nothing is
   * announced (coldStart) by an agent that cannot serve. net-snmp keeps its sockets on the
   * agent's listener; without them (another version) the first turn of the event loop is taken.
   */
  listening(): Promise<void> {
    const sockets = Object.values((this.agent as unknown as { listener?: { sockets?: Record<string, Socket> } }).listener?.sockets ?? {});
    if (!sockets.length) return new Promise((resolve) => setTimeout(resolve, 50));
    return Promise.all(
      sockets.map(
        (s) =>
          new Promise<void>((resolve, reject) => {
            try {
              s.address();
              resolve();
            } catch {
              s.once('listening', () => resolve());
              s.once('error', reject);
            }
          }),
      ),
    ).then(() => undefined);
  }

  setStatus(s: StatusSnapshot): void {
    for (const sc of STATUS_SCALARS) this.mib.setScalarValue(`sv.${sc.name}`, s[sc.name]);
  }

  /** Adds or replaces the row of an active alarm; `notifiedAt` is sysUpTime of its last trap. */
  putAlarm(a: Alarm, notifiedAt: number): void {
    this.removeAlarm(a.id);
    const cls = classification(a.name);
    this.mib.addTableRow(TABLE, [
      a.id,
      notifiedAt,
      a.oid,
      dateAndTime(new Date(a.raisedAt)),
      alarmNumber(a.oid),
      a.text.slice(0, 200),
      a.source.slice(0, 100),
      SEVERITY_CODE[a.severity],
      cls.type,
      cls.cause,
      '',
      '',
      '',
    ]);
    this.rows.add(a.id);
  }

  removeAlarm(id: number): void {
    if (!this.rows.delete(id)) return;
    this.mib.deleteTableRow(TABLE, [id]);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.agent.close();
      // net-snmp closes its sockets synchronously enough; give the event loop one turn.
      setImmediate(resolve);
    });
  }
}
