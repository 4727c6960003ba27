// Debian's net-snmp tools for tests: a real snmptrapd (started by PID on a free port with its
// own config and persistent dir in a temp dir, stopped again) and snmpwalk / snmptranslate with
// the MIBs the appliance ships. Reusable by any test that needs to see traps as the NOC does.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import assert from 'node:assert/strict';
import { freePort, REPO } from './appliance.js';

const run = promisify(execFile);

/** The net-snmp tools' own state and config: empty and ours, made beforehand (they log creating it). */
let toolEnvCache: NodeJS.ProcessEnv | null = null;
function toolEnv(): NodeJS.ProcessEnv {
  if (!toolEnvCache) {
    const dir = join(tmpdir(), `sipvault-snmp-tools-${process.pid}`);
    mkdirSync(join(dir, 'persist', 'cert_indexes'), { recursive: true });
    mkdirSync(join(dir, 'conf'), { recursive: true });
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    toolEnvCache = { ...process.env, SNMP_PERSISTENT_DIR: join(dir, 'persist'), SNMPCONFPATH: join(dir, 'conf') };
  }
  return toolEnvCache;
}

/** Our MIBs, then the IETF base modules they import (Debian's snmp package ships none). */
export const MIB_DIRS = [join(REPO, 'snmp/mib'), join(REPO, 'node_modules/net-snmp/lib/mibs')].join(':');
export const OUR_MIBS = 'SIPVAULT-ALARM-MIB:SIPVAULT-MIB';

/** OIDs of the OVOC trap layout (reference/interop.md). */
export const TRAP_OID = {
  coldStart: '1.3.6.1.6.3.1.1.5.1',
  recordingResourceUnavailable: '1.3.6.1.4.1.5003.9.40.3.2.0.100',
  connectionFailed: '1.3.6.1.4.1.5003.9.40.3.2.0.101',
  keepAlive: '1.3.6.1.4.1.5003.9.10.1.21.2.0.16',
};
const GLOBALS = '1.3.6.1.4.1.5003.9.10.1.21.1';

export interface Varbind {
  type: string;
  value: string | number | Buffer;
}

export interface ReceivedTrap {
  /** snmptrapd's %P: "TRAP2, SNMP v2c, community public" or "TRAP2, SNMP v3, user noc, context ". */
  security: string;
  trapOid: string;
  upTime: number;
  varbinds: Map<string, Varbind>;
  /** Arrival order across all traps of this receiver. */
  seq: number;
}

/** acBoardTrapGlobals 1-11 and 16 of a trap; throws naming the first one missing. */
export interface OvocFields {
  name: number;
  text: string;
  source: string;
  severity: number;
  uniqId: number;
  type: number;
  cause: number;
  info: [string, string, string];
  dateAndTime: Buffer;
  serial: string;
}

export function ovocFields(t: ReceivedTrap): OvocFields {
  const get = (n: number): Varbind => {
    const v = t.varbinds.get(`${GLOBALS}.${n}`);
    if (!v) throw new Error(`trap ${t.trapOid} has no acBoardTrapGlobals.${n}: ${JSON.stringify([...t.varbinds.keys()])}`);
    return v;
  };
  const str = (n: number) => String(get(n).value);
  const int = (n: number) => {
    const v = get(n);
    if (v.type !== 'INTEGER') throw new Error(`acBoardTrapGlobals.${n} is ${v.type}, not INTEGER`);
    return Number(v.value);
  };
  const dt = get(11).value;
  return {
    name: int(1),
    text: str(2),
    source: str(3),
    severity: int(4),
    uniqId: int(5),
    type: int(6),
    cause: int(7),
    info: [str(8), str(9), str(10)],
    dateAndTime: Buffer.isBuffer(dt) ? dt : Buffer.from(String(dt)),
    serial: str(16),
  };
}

/** Every varbind of an alarm trap, as OVOC reads them; `at` is checked against the receive window. */
export function assertAlarmVarbinds(t: ReceivedTrap, want: { oid: string; source: string; severity: number; type: number; text: RegExp; after: number }): OvocFields {
  const f = ovocFields(t);
  assert.equal(t.trapOid, want.oid);
  assert.equal(f.name, Number(want.oid.split('.').pop()) - 1, 'Name = last arc minus 1');
  assert.equal(f.source, want.source);
  assert.equal(f.severity, want.severity);
  assert.match(f.text, want.text);
  assert.ok(f.text.length <= 200);
  assert.equal(f.type, want.type);
  assert.equal(f.cause, 0, 'probable cause other (seed alarm sheet)');
  assert.deepEqual(f.info, ['', '', '']);
  assert.equal(f.dateAndTime.length, 11, 'DateAndTime with UTC offset');
  const at = decodeDateAndTime(f.dateAndTime).getTime();
  assert.ok(at >= want.after - 1000 && at <= Date.now() + 1000, `DateAndTime ${new Date(at).toISOString()} within the test window`);
  assert.match(f.serial, /^\S{6,}$/, 'SystemSerialNumber');
  assert.ok(f.uniqId >= 1);
  return f;
}

/** Decodes RFC 2579 DateAndTime octets to a Date (UTC offset applied). */
export function decodeDateAndTime(b: Buffer): Date {
  const utc = Date.UTC(b.readUInt16BE(0), b[2]! - 1, b[3], b[4], b[5], b[6], (b[7] ?? 0) * 100);
  if (b.length < 11) return new Date(utc);
  const offsetMin = (b[9]! * 60 + b[10]!) * (b[8] === 0x2d ? -1 : 1);
  return new Date(utc - offsetMin * 60_000);
}

function unquote(s: string): string {
  return s.slice(1, -1).replace(/\\(.)/g, '$1');
}

/** One snmptrapd line: TRAP \t %P \t varbinds separated by tabs, numeric OIDs (-On). */
function parseTrapLine(line: string, seq: number): ReceivedTrap | null {
  const parts = line.split('\t');
  if (parts[0] !== 'TRAP' || parts.length < 4) return null;
  const varbinds = new Map<string, Varbind>();
  for (const vb of parts.slice(2)) {
    const eq = vb.indexOf(' = ');
    if (eq < 0) continue;
    const oid = vb.slice(0, eq).replace(/^\./, '');
    const rest = vb.slice(eq + 3).trimEnd();
    if (rest === '""') {
      varbinds.set(oid, { type: 'STRING', value: '' });
      continue;
    }
    const colon = rest.indexOf(': ');
    const type = colon < 0 ? rest.replace(/:$/, '') : rest.slice(0, colon);
    const raw = colon < 0 ? '' : rest.slice(colon + 2);
    let value: string | number | Buffer = raw;
    if (type === 'INTEGER' || type === 'Gauge32' || type === 'Counter32') value = Number(raw);
    else if (type === 'STRING') value = raw.startsWith('"') ? unquote(raw) : raw;
    else if (type === 'Hex-STRING') value = Buffer.from(raw.replace(/\s+/g, ''), 'hex');
    else if (type === 'OID') value = raw.replace(/^\./, '');
    else if (type === 'Timeticks') value = Number(/\((\d+)\)/.exec(raw)?.[1] ?? NaN);
    varbinds.set(oid, { type, value });
  }
  const trapOid = varbinds.get('1.3.6.1.6.3.1.1.4.1.0')?.value;
  const upTime = varbinds.get('1.3.6.1.2.1.1.3.0')?.value;
  if (typeof trapOid !== 'string') return null;
  return { security: parts[1]!, trapOid, upTime: Number(upTime), varbinds, seq };
}

export interface TrapV3User {
  name: string;
  authKey: string;
  privKey: string;
  /** The sender's snmpEngineID (hex): v3 traps are sent by the authoritative engine. */
  engineId: string;
}

export interface TrapReceiver {
  port: number;
  traps: ReceivedTrap[];
  output: string[];
  /** The first trap after index `from` that matches, waiting up to `timeoutMs`. */
  waitFor(what: string, match: (t: ReceivedTrap) => boolean, timeoutMs?: number, from?: number): Promise<ReceivedTrap>;
  stop(): Promise<void>;
}

/** snmptrapd on 127.0.0.1:<free port> accepting v2c `community` and the v3 authPriv `users` (SHA/AES). */
export async function startTrapReceiver(o: { community?: string; users?: TrapV3User[] } = {}): Promise<TrapReceiver> {
  const dir = mkdtempSync(join(tmpdir(), 'sipvault-snmptrapd-'));
  const port = await freePort();
  const conf = [
    ...(o.community ? [`authCommunity log ${o.community}`] : []),
    ...(o.users ?? []).flatMap((u) => [`createUser -e 0x${u.engineId} ${u.name} SHA ${u.authKey} AES ${u.privKey}`, `authUser log ${u.name} priv`]),
  ];
  const confPath = join(dir, 'snmptrapd.conf');
  writeFileSync(confPath, conf.join('\n') + '\n');
  // -C: only our config; -M/-m: no MIBs, so OIDs and values print numerically whatever is installed.
  const args = ['-f', '-Lo', '-C', '-c', confPath, `--persistentDir=${join(dir, 'persist')}`, '-M', join(dir, 'no-mibs'), '-m', '', '-n', '-On', '-F', 'TRAP\t%P\t%v\n', `udp:127.0.0.1:${port}`];
  const proc: ChildProcess = spawn('/usr/sbin/snmptrapd', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const traps: ReceivedTrap[] = [];
  const output: string[] = [];
  let pending = '';
  let seq = 0;
  proc.stdout!.on('data', (d: Buffer) => {
    pending += d.toString('latin1');
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      output.push(line);
      const t = parseTrapLine(line, seq);
      if (t) {
        traps.push(t);
        seq++;
      }
    }
  });
  proc.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise<void>((r) => proc.once('exit', () => r()));
      proc.kill('SIGTERM');
      const killer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const until = Date.now() + 10_000;
  const spawnFailed = new Promise<Error>((resolve) => proc.once('error', (e) => resolve(e)));
  for (;;) {
    if (output.some((l) => l.includes('NET-SNMP version'))) break;
    const failed = await Promise.race([spawnFailed, new Promise<null>((r) => setTimeout(() => r(null), 100))]);
    if (failed || proc.exitCode !== null || Date.now() > until) {
      await stop();
      throw new Error(`snmptrapd did not start (Debian package snmptrapd): ${failed?.message ?? output.join('\n')}`);
    }
  }
  const waitFor = async (what: string, match: (t: ReceivedTrap) => boolean, timeoutMs = 15_000, from = 0) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = traps.slice(from).find(match);
      if (hit) return hit;
      if (Date.now() > deadline) {
        const seen = traps.map((t) => `${t.seq} ${t.security} ${t.trapOid} ${[...t.varbinds.values()].slice(2, 6).map((v) => String(v.value)).join('|')}`);
        throw new Error(`no trap: ${what}; received:\n${seen.join('\n')}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  return { port, traps, output, waitFor, stop };
}

/** snmpwalk (v2c) with the shipped MIBs; resolves to its output lines, rejects on a non-zero exit or stderr. */
export async function snmpwalk(port: number, oid: string, o: { community?: string; v3?: { user: string; authKey: string; privKey: string } } = {}): Promise<string[]> {
  const auth = o.v3 ? ['-v3', '-l', 'authPriv', '-u', o.v3.user, '-a', 'SHA', '-A', o.v3.authKey, '-x', 'AES', '-X', o.v3.privKey] : ['-v2c', '-c', o.community ?? 'public'];
  const { stdout, stderr } = await run('/usr/bin/snmpwalk', [...auth, '-t', '2', '-r', '1', '-M', MIB_DIRS, '-m', OUR_MIBS, `127.0.0.1:${port}`, oid].map((a) => (a === OUR_MIBS ? `${OUR_MIBS}:SNMPv2-MIB` : a)), { env: toolEnv() });
  if (stderr.trim()) throw new Error(`snmpwalk ${oid}: ${stderr}`);
  return stdout.split('\n').filter(Boolean);
}

/** snmptranslate with the shipped MIBs; stdout and stderr. */
export async function snmptranslate(args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run('/usr/bin/snmptranslate', ['-M', MIB_DIRS, '-m', OUR_MIBS, ...args], { env: toolEnv() });
}
