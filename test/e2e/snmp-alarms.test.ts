// The NOC's view of the appliance: a real Debian snmptrapd receives the OVOC traps (v2c and v3
// authPriv) for conditions produced for real (SIPREC sessions held open against sip.maxSessions,
// the snmp process restarted, rtpengine stopped and started again), and snmpwalk with the
// shipped MIBs reads the status objects and the active alarm table.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAppliance, waitFor, PortalClient, BIN, type Appliance } from '../support/appliance.js';
import { childrenOf } from '../support/processes.js';
import { SrcCall } from '../support/src-call.js';
import { rand } from '../support/sip-client.js';
import { multipart, rfcMetadata, siprecSdp } from '../support/siprec-call.js';
import { startRtpengine } from '../support/rtpengine.js';
import { S3Server, s3Target } from '../support/s3-server.js';
import { startTrapReceiver, snmpwalk, ovocFields, assertAlarmVarbinds, TRAP_OID, type ReceivedTrap, type TrapReceiver } from '../support/snmp-tools.js';

const ENGINE_ID = `8000138B04${Buffer.from('sipvault-e2e').toString('hex').toUpperCase()}`;
const NOC3 = { name: 'noc3', authKey: 'noc3-auth-key', privKey: 'noc3-priv-key' };
const COMMUNITY = 'ovoc-test';
const MAX_SESSIONS = 5;

let rx: TrapReceiver;
let app: Appliance;

function snmpConfig(receiver: TrapReceiver) {
  return {
    engineId: ENGINE_ID,
    keepAliveSeconds: 3,
    agent: { communities: ['public'], users: [NOC3] },
    traps: [
      { host: '127.0.0.1', port: receiver.port, version: 'v2c', community: COMMUNITY },
      { host: '127.0.0.1', port: receiver.port, version: 'v3', user: NOC3 },
    ],
  };
}

before(async () => {
  rx = await startTrapReceiver({ community: COMMUNITY, users: [{ ...NOC3, engineId: ENGINE_ID }] });
  app = await startAppliance({ sip: { maxSessions: MAX_SESSIONS }, snmp: snmpConfig(rx) });
});
after(async () => {
  await app?.stop();
  await rx?.stop();
});

const isV2c = (t: ReceivedTrap) => t.security.includes(`SNMP v2c, community ${COMMUNITY}`);
const isV3 = (t: ReceivedTrap) => t.security.includes(`SNMP v3, user ${NOC3.name}`);
const alarmTrap = (oid: string, severity: number, source: string) => (t: ReceivedTrap) =>
  t.trapOid === oid && ovocFields(t).severity === severity && ovocFields(t).source === source;

async function openSession(): Promise<SrcCall> {
  const boundary = `b${rand(4)}`;
  const call = await SrcCall.invite({
    transport: 'udp',
    host: '127.0.0.1',
    port: app.sipPort,
    headers: ['Require: siprec'],
    contentType: `multipart/mixed;boundary=${boundary}`,
    body: multipart(boundary, siprecSdp('PCMU', [41000, 41002]), rfcMetadata({ aor: 'sip:+15557201@x.test', name: 'A', freq: 440 }, { aor: 'sip:+15557202@x.test', name: 'B', freq: 1000 }, '1', '2')),
  });
  assert.equal(call.final.status, 200, `session accepted: ${call.final.status} ${call.final.reason}`);
  return call;
}

async function hangUp(call: SrcCall): Promise<void> {
  const res = await call.bye();
  call.close();
  assert.equal(res.status, 200);
}

/** The v3 destination gets the same trap (same UniqID) as the v2c one. */
async function assertSameOnV3(t: ReceivedTrap): Promise<void> {
  const f = ovocFields(t);
  const twin = await rx.waitFor(`v3 copy of UniqID ${f.uniqId}`, (x) => isV3(x) && x.trapOid === t.trapOid && x.varbinds.has('1.3.6.1.4.1.5003.9.10.1.21.1.5') && ovocFields(x).uniqId === f.uniqId);
  assert.deepEqual(ovocFields(twin), f);
}

function snmpPid(): number {
  const child = childrenOf(app.process.pid!).find((c) => c.cmdline.includes('snmp'));
  assert.ok(child, 'the supervisor runs an snmp component');
  return child.pid;
}

test('agent start: coldStart to the v2c and the v3 authPriv destination; keep-alive with the serial number', async () => {
  await rx.waitFor('coldStart v2c', (t) => isV2c(t) && t.trapOid === TRAP_OID.coldStart);
  await rx.waitFor('coldStart v3', (t) => isV3(t) && t.trapOid === TRAP_OID.coldStart);
  const keep = await rx.waitFor('keep-alive', (t) => isV2c(t) && t.trapOid === TRAP_OID.keepAlive, 10_000);
  const f = ovocFields(keep);
  assert.equal(f.name, 15);
  assert.equal(f.severity, 1, 'indeterminate');
  assert.equal(f.info[0], f.serial, 'AdditionalInfo1 = serial');
  assert.equal(f.source, 'sipvault/System');
});

test('capacity: major at 80 %, critical at 100 %, major again below, cleared at 60 % of sip.maxSessions; snmpwalk sees it', async () => {
  const RRU = TRAP_OID.recordingResourceUnavailable;
  const source = 'sipvault/Recorder';
  const start = Date.now();
  const from = rx.traps.length;
  const calls: SrcCall[] = [];
  try {
    for (let i = 0; i < 3; i++) calls.push(await openSession());
    calls.push(await openSession());
    const major = await rx.waitFor('RRU major at 4/5', (t) => isV2c(t) && alarmTrap(RRU, 4, source)(t), 15_000, from);
    const fMajor = assertAlarmVarbinds(major, { oid: RRU, source, severity: 4, type: 0, text: /80 %: 4 of 5 recording sessions/, after: start });
    await assertSameOnV3(major);
    assert.equal(rx.traps.slice(from, major.seq).filter((t) => t.trapOid === RRU).length, 0, 'nothing at 60 %');

    // The NOC polls: status objects and the active alarm table while the alarm is active.
    const status = await waitFor('status objects', async () => {
      const lines = await snmpwalk(app.snmpPort, 'SIPVAULT-MIB::svStatus');
      return lines.some((l) => l.includes('svActiveSessions.0 = Gauge32: 4')) ? lines : null;
    }, 5000);
    assert.ok(status.includes(`SIPVAULT-MIB::svMaxSessions.0 = Gauge32: ${MAX_SESSIONS}`), status.join('\n'));
    assert.ok(status.includes('SIPVAULT-MIB::svCallsToday.0 = Gauge32: 4'), status.join('\n'));
    assert.ok(status.includes('SIPVAULT-MIB::svFailedRecordingsToday.0 = Gauge32: 0'), status.join('\n'));
    assert.ok(status.includes('SIPVAULT-MIB::svStorageTargetName.0 = STRING: Local'), status.join('\n'));
    assert.ok(status.includes('SIPVAULT-MIB::svStorageTargetState.0 = INTEGER: reachable(1)'), status.join('\n'));
    assert.ok(status.includes('SIPVAULT-MIB::svActiveAlarmCount.0 = Gauge32: 1'), status.join('\n'));
    assert.ok(status.some((l) => /^SIPVAULT-MIB::svFreeDiskMBytes\.0 = Gauge32: [1-9]\d* megabytes$/.test(l)), status.join('\n'));
    assert.ok(status.some((l) => /^SIPVAULT-MIB::svSpoolBacklog\.0 = Gauge32: \d+$/.test(l)), status.join('\n'));
    const table = await snmpwalk(app.snmpPort, 'SIPVAULT-ALARM-MIB::acActiveAlarmTable', { v3: { user: NOC3.name, authKey: NOC3.authKey, privKey: NOC3.privKey } });
    const row = /acActiveAlarmSource\.(\d+) = STRING: sipvault\/Recorder/.exec(table.join('\n'))?.[1];
    assert.ok(row, table.join('\n'));
    for (const want of [
      `acActiveAlarmTrapOID.${row} = OID: SIPVAULT-MIB::svRecordingResourceUnavailable`,
      `acActiveAlarmName.${row} = INTEGER: 99`,
      `acActiveAlarmSeverity.${row} = INTEGER: major(4)`,
      `acActiveAlarmEventType.${row} = INTEGER: other(0)`,
    ]) {
      assert.ok(table.some((l) => l.endsWith(want)), `${want} in\n${table.join('\n')}`);
    }
    assert.ok(table.some((l) => l.includes(`acActiveAlarmTextualDescription.${row} = STRING: Session capacity 80 %`)), table.join('\n'));
    const system = await snmpwalk(app.snmpPort, '1.3.6.1.2.1.1');
    for (const want of ['SNMPv2-MIB::sysName.0 = STRING: sipvault', 'SNMPv2-MIB::sysObjectID.0 = OID: SIPVAULT-MIB::sipvault', 'SNMPv2-MIB::sysServices.0 = INTEGER: 64']) {
      assert.ok(system.includes(want), `${want} in\n${system.join('\n')}`);
    }
    assert.ok(system.some((l) => /^SNMPv2-MIB::sysDescr\.0 = STRING: sipvault \S+ SIPREC recording appliance/.test(l)), system.join('\n'));
    assert.ok(system.some((l) => /^SNMPv2-MIB::sysUpTime\.0 = Timeticks: \([1-9]\d*\)/.test(l)), system.join('\n'));

    calls.push(await openSession());
    const critical = await rx.waitFor('RRU critical at 5/5', (t) => isV2c(t) && alarmTrap(RRU, 5, source)(t), 15_000, major.seq + 1);
    const fCritical = assertAlarmVarbinds(critical, { oid: RRU, source, severity: 5, type: 0, text: /100 %: 5 of 5/, after: start });
    assert.ok(fCritical.uniqId > fMajor.uniqId);
    await assertSameOnV3(critical);

    await hangUp(calls.pop()!);
    const down = await rx.waitFor('RRU major again at 4/5', (t) => isV2c(t) && alarmTrap(RRU, 4, source)(t), 15_000, critical.seq + 1);
    assertAlarmVarbinds(down, { oid: RRU, source, severity: 4, type: 0, text: /4 of 5/, after: start });

    await hangUp(calls.pop()!);
    const clear = await rx.waitFor('RRU clear at 3/5', (t) => isV2c(t) && alarmTrap(RRU, 0, source)(t), 15_000, down.seq + 1);
    const fClear = assertAlarmVarbinds(clear, { oid: RRU, source, severity: 0, type: 0, text: /Session capacity/, after: start });
    assert.equal(fClear.name, fMajor.name, 'clear has the Name of the raise');
    await assertSameOnV3(clear);

    // Each change exactly once per destination: no duplicate raise at the same severity.
    const rruV2c = rx.traps.slice(from).filter((t) => isV2c(t) && t.trapOid === RRU).map((t) => ovocFields(t).severity);
    assert.deepEqual(rruV2c, [4, 5, 4, 0]);
    const table2 = await waitFor('alarm row gone', async () => {
      const lines = await snmpwalk(app.snmpPort, 'SIPVAULT-ALARM-MIB::acActiveAlarmTable').catch(() => []);
      return lines.every((l) => !l.includes('sipvault/Recorder')) ? lines : null;
    }, 5000);
    assert.ok(table2.every((l) => !l.includes('acActiveAlarmSource')), table2.join('\n'));
    // The same history for the operator at the console.
    const statusOut = execFileSync(process.execPath, [BIN, 'status', '--config', app.configPath], { encoding: 'utf8' });
    const history = statusOut.split('\n').filter((l) => l.includes('RecordingResourceUnavailable  sipvault/Recorder')).map((l) => l.trim().split(/\s+/).slice(1, 3).join(' '));
    assert.deepEqual(history.slice(0, 4), ['clear CLEARED', 'change MAJOR', 'change CRITICAL', 'raise MAJOR'], statusOut);
  } finally {
    for (const c of calls) await hangUp(c).catch(() => c.close());
  }
  // UniqID counts every acBoard trap since the agent started, without a gap.
  const coldStarts = rx.traps.filter((t) => isV2c(t) && t.trapOid === TRAP_OID.coldStart);
  const since = coldStarts[coldStarts.length - 1]!.seq;
  const ids = rx.traps.filter((t) => isV2c(t) && t.seq > since && t.varbinds.has('1.3.6.1.4.1.5003.9.10.1.21.1.5')).map((t) => ovocFields(t).uniqId);
  assert.deepEqual(ids, ids.map((_, i) => i + 1), 'consecutive UniqIDs');
});

test('restarting the snmp process: coldStart, then the active alarm again; a clear missed while it was down is sent', async () => {
  const RRU = TRAP_OID.recordingResourceUnavailable;
  const source = 'sipvault/Recorder';
  const calls: SrcCall[] = [];
  try {
    const from = rx.traps.length;
    for (let i = 0; i < 4; i++) calls.push(await openSession());
    await rx.waitFor('RRU major', (t) => isV2c(t) && alarmTrap(RRU, 4, source)(t), 15_000, from);

    const first = snmpPid();
    const beforeRestart = rx.traps.length;
    process.kill(first, 'SIGTERM');
    const cold = await rx.waitFor('coldStart after restart', (t) => isV2c(t) && t.trapOid === TRAP_OID.coldStart, 20_000, beforeRestart);
    const resent = await rx.waitFor('RRU major re-sent', (t) => isV2c(t) && alarmTrap(RRU, 4, source)(t), 10_000, cold.seq + 1);
    assert.equal(ovocFields(resent).uniqId, 1, 'the first alarm trap of the new agent');
    await rx.waitFor('v3 coldStart after restart', (t) => isV3(t) && t.trapOid === TRAP_OID.coldStart, 5000, beforeRestart);
    assert.equal(rx.traps.slice(beforeRestart, cold.seq).filter((t) => t.trapOid === RRU).length, 0, 'coldStart comes first');
    const second = snmpPid();
    assert.notEqual(second, first);

    // Frozen agent: the alarm clears meanwhile; killed, restarted: the NOC still learns of the clear.
    process.kill(second, 'SIGSTOP');
    const frozenAt = rx.traps.length;
    try {
      await hangUp(calls.pop()!);
      await hangUp(calls.pop()!);
      const portal = await PortalClient.login(app.portalUrl);
      await waitFor('alarm cleared in the catalog', async () => {
        const { items } = await portal.json<{ items: Array<{ name: string; source: string; state: string }> }>('/api/v1/alarms');
        return items.some((a) => a.name === 'RecordingResourceUnavailable' && a.source === source && a.state === 'active') ? null : true;
      });
    } finally {
      process.kill(second, 'SIGKILL');
    }
    const cold2 = await rx.waitFor('coldStart after the kill', (t) => isV2c(t) && t.trapOid === TRAP_OID.coldStart, 20_000, frozenAt);
    const missed = await rx.waitFor('the missed clear', (t) => isV2c(t) && alarmTrap(RRU, 0, source)(t), 10_000, cold2.seq + 1);
    assert.equal(ovocFields(missed).name, 99);
    await new Promise((r) => setTimeout(r, 1500));
    const after = rx.traps.slice(cold2.seq + 1).filter((t) => isV2c(t) && t.trapOid === RRU);
    assert.deepEqual(after.map((t) => ovocFields(t).severity), [0], 'only the clear, no stale raise');
  } finally {
    for (const c of calls) await hangUp(c).catch(() => c.close());
  }
});

test('media the recorder cannot handle: RecordingResourceUnavailable naming the SRC and codec; the next recorded session clears it', async () => {
  const RRU = TRAP_OID.recordingResourceUnavailable;
  const source = 'sipvault/Recorder';
  const from = rx.traps.length;
  const start = Date.now();
  const g729 = ['v=0', 'o=SBC 1 1 IN IP4 127.0.0.1', 's=SIPREC', 'c=IN IP4 127.0.0.1', 't=0 0']
    .concat(...['1', '2'].map((label, i) => [`m=audio ${41010 + 2 * i} RTP/AVP 18`, 'a=rtpmap:18 G729/8000', `a=label:${label}`, 'a=sendonly']))
    .join('\r\n') + '\r\n';
  const boundary = `b${rand(4)}`;
  const refused = await SrcCall.invite({
    transport: 'udp',
    host: '127.0.0.1',
    port: app.sipPort,
    headers: ['Require: siprec'],
    contentType: `multipart/mixed;boundary=${boundary}`,
    body: multipart(boundary, g729, rfcMetadata({ aor: 'sip:+15557301@x.test', name: 'A', freq: 440 }, { aor: 'sip:+15557302@x.test', name: 'B', freq: 1000 }, '1', '2')),
  });
  refused.close();
  assert.equal(refused.final.status, 488);
  const raise = await rx.waitFor('RRU for unsupported media', (t) => isV2c(t) && alarmTrap(RRU, 4, source)(t), 15_000, from);
  assertAlarmVarbinds(raise, { oid: RRU, source, severity: 4, type: 0, text: /no supported codec from udp:127\.0\.0\.1:\d+ \(offered G729\)/, after: start });
  const good = await openSession();
  await hangUp(good);
  const clear = await rx.waitFor('RRU clear after a recorded session', (t) => isV2c(t) && alarmTrap(RRU, 0, source)(t), 15_000, raise.seq + 1);
  assert.equal(ovocFields(clear).name, 99);
});

test('an agent that cannot listen exits 1 naming snmp.agent.listen, and announces nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sipvault-snmp-busy-'));
  try {
    const config = join(dir, 'sipvault.yaml');
    writeFileSync(config, `dataDir: ${dir}\nsnmp:\n  agent: { listen: '127.0.0.1:${app.snmpPort}' }\n  traps: [{ host: 127.0.0.1, port: ${rx.port}, community: ${COMMUNITY} }]\n`);
    const from = rx.traps.length;
    const r = spawnSync(process.execPath, [BIN, 'snmp', '--config', config], { encoding: 'utf8', timeout: 15_000 });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /snmp\.agent\.listen 127\.0\.0\.1:\d+: bind EADDRINUSE/);
    await new Promise((r) => setTimeout(r, 500));
    // The appliance's own agent keeps running: any coldStart now could only come from this one.
    assert.equal(rx.traps.slice(from).filter((t) => t.trapOid === TRAP_OID.coldStart).length, 0, 'no coldStart from it');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('rtpengine unreachable: ConnectionFailed from sipvault/MediaEngine, then its clear when it is back', async () => {
  let rtpengine = await startRtpengine();
  const rx2 = await startTrapReceiver({ community: COMMUNITY, users: [{ ...NOC3, engineId: ENGINE_ID }] });
  const relayApp = await startAppliance({
    media: { relay: 'rtpengine', rtpengine: { ng: `127.0.0.1:${rtpengine.ngPort}`, timeoutMs: 300, pingSeconds: 1 } },
    snmp: snmpConfig(rx2),
  });
  try {
    await rx2.waitFor('coldStart', (t) => isV2c(t) && t.trapOid === TRAP_OID.coldStart);
    const start = Date.now();
    const from = rx2.traps.length;
    const { ngPort, portMin } = rtpengine;
    await rtpengine.stop();
    const CF = TRAP_OID.connectionFailed;
    const source = 'sipvault/MediaEngine';
    const raise = await rx2.waitFor('ConnectionFailed raise', (t) => isV2c(t) && alarmTrap(CF, 5, source)(t), 15_000, from);
    const fRaise = assertAlarmVarbinds(raise, { oid: CF, source, severity: 5, type: 1, text: /Connection To Media Engine rtpengine 127\.0\.0\.1:\d+ Lost/, after: start });
    assert.equal(fRaise.name, 100);
    await rx2.waitFor('v3 raise', (t) => isV3(t) && alarmTrap(CF, 5, source)(t), 5000, from);

    rtpengine = await startRtpengine({ ngPort, portMin });
    const clear = await rx2.waitFor('ConnectionFailed clear', (t) => isV2c(t) && alarmTrap(CF, 0, source)(t), 15_000, raise.seq + 1);
    const fClear = assertAlarmVarbinds(clear, { oid: CF, source, severity: 0, type: 1, text: /Media Engine/, after: start });
    assert.equal(fClear.name, 100);
    assert.equal(fClear.uniqId > fRaise.uniqId, true);
    await rx2.waitFor('v3 clear', (t) => isV3(t) && alarmTrap(CF, 0, source)(t), 5000, raise.seq + 1);
    const cfTraps = rx2.traps.slice(from).filter((t) => isV2c(t) && t.trapOid === CF).map((t) => ovocFields(t).severity);
    assert.deepEqual(cfTraps, [5, 0], 'one raise, one clear');
  } finally {
    await relayApp.stop();
    await rtpengine.stop();
    await rx2.stop();
  }
});

test('storage outage (s3rver stopped, then restarted): ConnectionFailed from the target, then its clear', async () => {
  const s3 = await S3Server.start();
  const rx2 = await startTrapReceiver({ community: COMMUNITY, users: [{ ...NOC3, engineId: ENGINE_ID }] });
  const target = s3Target(s3, 'snmp-outage');
  const storageApp = await startAppliance({
    storage: { target, upload: { retryInitialSeconds: 0.5, retryMaxSeconds: 1, probeIntervalSeconds: 1 } },
    snmp: snmpConfig(rx2),
  });
  try {
    await rx2.waitFor('coldStart', (t) => isV2c(t) && t.trapOid === TRAP_OID.coldStart);
    const start = Date.now();
    const from = rx2.traps.length;
    await s3.kill();
    const CF = TRAP_OID.connectionFailed;
    const source = `sipvault/${target.name}-SystemConfiguration`;
    const raise = await rx2.waitFor('ConnectionFailed raise', (t) => isV2c(t) && alarmTrap(CF, 5, source)(t), 15_000, from);
    const fRaise = assertAlarmVarbinds(raise, { oid: CF, source, severity: 5, type: 1, text: new RegExp(`^Connection To Storage ${target.name} Lost$`), after: start });
    assert.equal(fRaise.name, 100);
    await rx2.waitFor('v3 raise', (t) => isV3(t) && alarmTrap(CF, 5, source)(t), 5000, from);

    await s3.resume();
    const clear = await rx2.waitFor('ConnectionFailed clear', (t) => isV2c(t) && alarmTrap(CF, 0, source)(t), 15_000, raise.seq + 1);
    const fClear = assertAlarmVarbinds(clear, { oid: CF, source, severity: 0, type: 1, text: /Storage/, after: start });
    assert.equal(fClear.name, 100);
    assert.ok(fClear.uniqId > fRaise.uniqId);
    const cfTraps = rx2.traps.slice(from).filter((t) => isV2c(t) && t.trapOid === CF).map((t) => ovocFields(t).severity);
    assert.deepEqual(cfTraps, [5, 0], 'one raise, one clear');
  } finally {
    await storageApp.stop();
    await rx2.stop();
    await s3.destroy();
  }
});
