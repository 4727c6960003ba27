// The parts of the SNMP alarm path that need no network: the recorder's RecordingResourceUnavailable
// aggregator and capacity grading on a real catalog, the OVOC varbind layout, the alarm feed's
// restart bookkeeping, the snmp config checks, and the shipped MIBs under Debian's snmptranslate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Catalog } from '../../storage/catalog/index.js';
import { ALARM_KINDS } from '../../storage/catalog/alarm-kinds.js';
import { ResourceAlarm, capacitySeverity, PREVIOUS_RUN } from '../../recorder/resource-alarm.js';
import { alarmNumber, dateAndTime, trapVarbinds, OIDS } from '../../snmp/ovoc-trap.js';
import { AlarmFeed } from '../../snmp/alarm-feed.js';
import { engineId } from '../../snmp/identity.js';
import { buildConfig } from '../../config/loader.js';
import { snmptranslate, decodeDateAndTime } from '../support/snmp-tools.js';

function withCatalog(fn: (c: Catalog, dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'sipvault-snmp-unit-'));
  const c = Catalog.open(dir);
  try {
    fn(c, dir);
  } finally {
    c.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const RRU = ALARM_KINDS.RecordingResourceUnavailable;
const SOURCE = 'box1/Recorder';

test('capacity grading: major from 80 %, critical at 100 %, clear only at or below 60 %', () => {
  const walk = (counts: number[], max: number) => {
    let s: ReturnType<typeof capacitySeverity> = null;
    return counts.map((n) => (s = capacitySeverity(n, max, s)));
  };
  assert.deepEqual(walk([0, 1, 2, 3, 4, 5, 4, 3, 2], 5), [null, null, null, null, 'major', 'critical', 'major', null, null]);
  // 10 sessions: 7 (70 %) raises nothing on the way up but keeps major on the way down.
  assert.deepEqual(walk([7, 8, 7, 6, 7], 10), [null, 'major', 'major', null, null]);
  assert.deepEqual(walk([400, 399, 500, 301, 300], 500), ['major', 'major', 'critical', 'major', null]);
});

test('ResourceAlarm: the worst condition sets the severity; one ending never clears another; unchanged costs no event', () => {
  withCatalog((c) => {
    const r = new ResourceAlarm(c.alarms, SOURCE);
    const events = () => c.alarms.history(100).filter((e) => e.source === SOURCE).reverse().map((e) => `${e.event}:${e.severity}`);
    r.set('capacity', 'major', 'capacity 80 %');
    r.set('capacity', 'major', 'capacity 85 %');
    r.set('disk-floor', 'critical', 'disk below floor');
    r.set('capacity', null);
    assert.equal(c.alarms.active().find((a) => a.source === SOURCE)?.severity, 'critical', 'disk floor still critical');
    r.set('disk-floor', null);
    assert.equal(c.alarms.active().filter((a) => a.source === SOURCE).length, 0);
    r.set('disk-floor', null);
    assert.deepEqual(events(), ['raise:major', 'change:critical', 'clear:cleared']);
    const last = c.alarms.history(1)[0]!;
    assert.equal(last.name, RRU.name);
    assert.equal(last.oid, RRU.oid);
  });
});

test('ResourceAlarm: an alarm left by a previous run stays until the recorder clears that condition', () => {
  withCatalog((c) => {
    c.alarms.raise({ ...RRU, source: SOURCE, severity: 'critical', text: 'Cannot record: spool write failed: ENOSPC' });
    const r = new ResourceAlarm(c.alarms, SOURCE);
    assert.equal(r.severity, 'critical');
    r.set('capacity', 'major', 'capacity');
    assert.equal(c.alarms.active()[0]!.severity, 'critical');
    r.set(PREVIOUS_RUN, null);
    assert.equal(c.alarms.active()[0]!.severity, 'major');
    r.set('capacity', null);
    assert.equal(c.alarms.active().length, 0);
  });
});

test('OVOC varbinds: Name = last arc - 1, varbinds 1-11 and 16 in order, DateAndTime in UTC, text and source bounded', () => {
  assert.equal(alarmNumber(RRU.oid), 99);
  assert.equal(alarmNumber(ALARM_KINDS.ConnectionFailed.oid), 100);
  assert.equal(alarmNumber(OIDS.keepAlive), 15);
  const at = new Date('2026-03-04T05:06:07.890Z');
  const dt = dateAndTime(at);
  assert.deepEqual([...dt], [0x07, 0xea, 3, 4, 5, 6, 7, 8, 0x2b, 0, 0]);
  assert.equal(decodeDateAndTime(dt).toISOString(), '2026-03-04T05:06:07.800Z');
  const vbs = trapVarbinds({ oid: ALARM_KINDS.ConnectionFailed.oid, alarm: 'ConnectionFailed', text: 'x'.repeat(300), source: 's'.repeat(150), severity: 'critical', uniqId: 7, at, serial: 'SER1' });
  assert.deepEqual(vbs.map((v) => Number(v.oid.split('.').pop())), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 16]);
  assert.ok(vbs.every((v) => v.oid.startsWith(`${OIDS.trapGlobals}.`)));
  const value = (n: number) => vbs.find((v) => v.oid === `${OIDS.trapGlobals}.${n}`)!.value;
  assert.equal(value(1), 100);
  assert.equal((value(2) as string).length, 200);
  assert.equal((value(3) as string).length, 100);
  assert.equal(value(4), 5);
  assert.equal(value(5), 7);
  assert.equal(value(6), 1, 'ConnectionFailed: communicationsAlarm');
  assert.equal(value(7), 0, 'probable cause other');
  assert.equal(value(16), 'SER1');
  const rru = trapVarbinds({ oid: RRU.oid, alarm: RRU.name, text: 't', source: 's', severity: 'cleared', uniqId: 1, at, serial: 'S' });
  assert.equal(rru.find((v) => v.oid.endsWith('.1.6'))!.value, 0, 'RecordingResourceUnavailable: type other');
  assert.equal(rru.find((v) => v.oid.endsWith('.1.4'))!.value, 0, 'cleared = 0');
});

test('alarm feed: events in order after the cursor; after a restart, only the clears of occurrences reported before', () => {
  withCatalog((c, dir) => {
    const file = join(dir, 'snmp', 'trap-cursor.json');
    const raise = (source: string, severity: 'major' | 'critical') => c.alarms.raise({ ...RRU, source, severity, text: source });
    raise('a/Recorder', 'major');
    const feed = new AlarmFeed(c, file);
    const first = feed.start();
    assert.deepEqual(first.active.map((a) => a.source), ['a/Recorder']);
    assert.deepEqual(first.missedClears, [], 'first start ever: nothing to catch up');
    raise('a/Recorder', 'critical');
    raise('b/Recorder', 'major');
    assert.deepEqual(feed.poll().map((e) => `${e.source}:${e.event}:${e.severity}`), ['a/Recorder:change:critical', 'b/Recorder:raise:major']);
    assert.deepEqual(feed.poll(), []);
    feed.save();

    // While the agent is down: a and b clear, c is raised and cleared, d is raised.
    c.alarms.clear(RRU.name, 'a/Recorder');
    c.alarms.clear(RRU.name, 'b/Recorder');
    raise('c/Recorder', 'major');
    c.alarms.clear(RRU.name, 'c/Recorder');
    raise('d/Recorder', 'major');
    const again = new AlarmFeed(c, file).start();
    assert.deepEqual(again.missedClears.map((e) => e.source), ['a/Recorder', 'b/Recorder']);
    assert.deepEqual(again.active.map((a) => a.source), ['d/Recorder']);
  });
});

test('snmp config: v2c needs a community, v3 a user; keys and protocols pair up; errors name the key', () => {
  const c = buildConfig({}, 'defaults');
  assert.equal(c.snmp.agent.listen, '0.0.0.0:1161');
  assert.deepEqual(c.snmp.agent.communities, ['public']);
  assert.equal(c.snmp.keepAliveSeconds, 60);
  assert.equal(engineId(c), `8000138B04${Buffer.from('sipvault').toString('hex').toUpperCase()}`);
  assert.equal(engineId(buildConfig({ snmp: { engineId: '800000090300aabbccddeeff' } }, 't')), '800000090300AABBCCDDEEFF');
  const ok = buildConfig({ snmp: { traps: [{ host: 'noc', community: 'c' }, { host: 'noc', version: 'v3', user: { name: 'u', authKey: 'authkey1', privKey: 'privkey1' } }] } }, 't');
  assert.equal(ok.snmp.traps[0]!.port, 162);
  const problems = (raw: unknown) => {
    try {
      buildConfig(raw, 't');
      return '';
    } catch (err) {
      return (err as Error).message;
    }
  };
  assert.match(problems({ snmp: { traps: [{ host: 'noc' }] } }), /snmp\.traps\[0\]\.community: required for version v2c/);
  assert.match(problems({ snmp: { traps: [{ host: 'noc', version: 'v3' }] } }), /snmp\.traps\[0\]\.user: required for version v3/);
  assert.match(problems({ snmp: { traps: [{ host: 'noc', version: 'v3', user: { name: 'u', privKey: 'privkey1' } }] } }), /snmp\.traps\[0\]\.user\.authKey: privacy \(privKey\) needs authentication/);
  assert.match(problems({ snmp: { traps: [{ host: 'noc', version: 'v3', user: { name: 'u', authKey: 'short' } }] } }), /snmp\.traps\[0\]\.user\.authKey: must NOT have fewer than 8 characters/);
  assert.match(problems({ snmp: { agent: { users: [{ name: 'u', authProtocol: 'sha' }] } } }), /snmp\.agent\.users\[0\]\.authKey: required with/);
  assert.match(problems({ snmp: { engineId: 'xyz' } }), /snmp\.engineId/);
  assert.match(problems({ snmp: { keepAliveSeconds: -1 } }), /snmp\.keepAliveSeconds/);
  assert.match(problems({ snmp: { traps: [{ host: 'noc', community: 'c', user: { name: 'u' } }] } }), /snmp\.traps\[0\]\.user: only for version v3/);
});

test('the shipped MIBs load in Debian snmptranslate without a message and name the OVOC OIDs', async () => {
  const names = {
    'SIPVAULT-MIB::svRecordingResourceUnavailable': '.1.3.6.1.4.1.5003.9.40.3.2.0.100',
    'SIPVAULT-MIB::svConnectionFailed': '.1.3.6.1.4.1.5003.9.40.3.2.0.101',
    'SIPVAULT-MIB::svActiveSessions': '.1.3.6.1.4.1.5003.9.40.1.1',
    'SIPVAULT-MIB::svActiveAlarmCount': '.1.3.6.1.4.1.5003.9.40.1.9',
    'SIPVAULT-ALARM-MIB::acBoardTrapGlobalsName': '.1.3.6.1.4.1.5003.9.10.1.21.1.1',
    'SIPVAULT-ALARM-MIB::acBoardTrapGlobalsSystemSerialNumber': '.1.3.6.1.4.1.5003.9.10.1.21.1.16',
    'SIPVAULT-ALARM-MIB::acKeepAlive': '.1.3.6.1.4.1.5003.9.10.1.21.2.0.16',
    'SIPVAULT-ALARM-MIB::acActiveAlarmSource': '.1.3.6.1.4.1.5003.11.1.1.1.7',
  };
  for (const [name, oid] of Object.entries(names)) {
    const { stdout, stderr } = await snmptranslate(['-On', name]);
    assert.equal(stderr, '', `${name}: ${stderr}`);
    assert.equal(stdout.trim(), oid, name);
  }
  const { stdout, stderr } = await snmptranslate(['-Td', 'SIPVAULT-MIB::svRecordingResourceUnavailable']);
  assert.equal(stderr, '');
  assert.match(stdout, /OBJECTS\s*\{ acBoardTrapGlobalsName, acBoardTrapGlobalsTextualDescription/);
});
