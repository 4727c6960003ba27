// One net-snmp session per destination in snmp.traps (v2c community or v3 user); every trap
// goes to all of them, in the order it was asked for.
import snmp, { type Session, type V3User, type Varbind } from 'net-snmp';
import type { Logger } from 'pino';
import type { SnmpTrapTarget, SnmpV3User } from '../config/schema.js';

/** net-snmp's user from a configured one: authKey makes it authNoPriv, authKey + privKey authPriv. */
export function toNetSnmpUser(u: SnmpV3User): V3User {
  const { SecurityLevel, AuthProtocols, PrivProtocols } = snmp;
  if (!u.authKey) return { name: u.name, level: SecurityLevel.noAuthNoPriv };
  const auth = { authProtocol: AuthProtocols[u.authProtocol ?? 'sha'], authKey: u.authKey };
  if (!u.privKey) return { name: u.name, level: SecurityLevel.authNoPriv, ...auth };
  return { name: u.name, level: SecurityLevel.authPriv, ...auth, privProtocol: PrivProtocols[u.privProtocol ?? 'aes'], privKey: u.privKey };
}

interface Destination {
  label: string;
  session: Session;
}

export class TrapSender {
  private readonly destinations: Destination[];
  private readonly startedAt = Date.now();

  constructor(
    targets: SnmpTrapTarget[],
    engineId: string,
    private readonly logger: Logger,
  ) {
    this.destinations = targets.map((t, i) => {
      const transport = t.host.includes(':') ? 'udp6' : 'udp4';
      const host = t.host.replace(/^\[|\]$/g, '');
      const session =
        t.version === 'v3'
          ? snmp.createV3Session(host, toNetSnmpUser(t.user!), { trapPort: t.port, transport, engineID: engineId, version: snmp.Version3 })
          : snmp.createSession(host, t.community!, { trapPort: t.port, transport, version: snmp.Version2c });
      const label = `snmp.traps[${i}] ${t.version} ${t.host}:${t.port}`;
      session.on('error', (err) => logger.warn({ err: err.message, destination: label }, 'trap session error'));
      return { label, session };
    });
  }

  get count(): number {
    return this.destinations.length;
  }

  /** sysUpTime.0 of our traps: centiseconds since this process started. */
  upTime(): number {
    return Math.floor((Date.now() - this.startedAt) / 10);
  }

  /** coldStart (SNMPv2-MIB) to every destination. */
  coldStart(): Promise<void> {
    return this.sendAll((s, cb) => s.trap(snmp.TrapType.ColdStart, [], { upTime: this.upTime() }, cb), 'coldStart');
  }

  /** The notification `oid` with `varbinds` (after sysUpTime.0 and snmpTrapOID.0) to every destination. */
  send(oid: string, varbinds: Varbind[]): Promise<void> {
    return this.sendAll((s, cb) => s.trap(oid, varbinds, { upTime: this.upTime() }, cb), oid);
  }

  /** A destination that fails is logged; the others still get the trap. */
  private async sendAll(send: (s: Session, cb: (err: Error | null) => void) => void, what: string): Promise<void> {
    await Promise.all(
      this.destinations.map(
        (d) =>
          new Promise<void>((resolve) => {
            try {
              send(d.session, (err) => {
                if (err) this.logger.warn({ err: err.message, destination: d.label, trap: what }, 'trap not sent');
                resolve();
              });
            } catch (err) {
              this.logger.warn({ err: (err as Error).message, destination: d.label, trap: what }, 'trap not sent');
              resolve();
            }
          }),
      ),
    );
  }

  close(): void {
    for (const d of this.destinations) {
      try {
        d.session.close();
      } catch {
        // already closed
      }
    }
  }
}
