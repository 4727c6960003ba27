// SNMP trap destinations changed through the portal API reach a running SnmpService without a
// restart: a real snmptrapd receives from a destination added (v2c, then v3) and stops receiving
// from one removed; a destination added while an alarm is active gets that alarm at once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildConfig } from '../../config/loader.js';
import { createLogger } from '../../config/logger.js';
import { Catalog } from '../../storage/catalog/index.js';
import { ALARM_KINDS } from '../../storage/catalog/alarm-kinds.js';
import { buildPortal } from '../../portal/server.js';
import { SnmpService } from '../../snmp/snmp-service.js';
import { engineId } from '../../snmp/identity.js';
import { freePort } from '../support/appliance.js';
import { ovocFields, startTrapReceiver, type ReceivedTrap, type TrapReceiver } from '../support/snmp-tools.js';

const COMMUNITY = 'noc-live';
const NOC3 = { name: 'noclive', authKey: 'noclive-auth-key', privKey: 'noclive-priv-key' };

let dir: string;
let catalog: Catalog;
let service: SnmpService;
let app: FastifyInstance;
let rx: TrapReceiver;
let base: string;
let session: { cookie: string; csrf: string };

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sipvault-snmp-dest-'));
  const config = buildConfig(
    { dataDir: dir, portal: { listen: '127.0.0.1:0' }, snmp: { applianceId: 'box7d', keepAliveSeconds: 0, agent: { listen: `127.0.0.1:${await freePort()}` } } },
    'test',
  );
  catalog = Catalog.open(dir);
  catalog.users.add({ username: 'admin', password: 'admin-password', role: 'admin', extensions: [] });
  rx = await startTrapReceiver({ community: COMMUNITY, users: [{ ...NOC3, engineId: engineId(config) }] });
  service = new SnmpService({ config, catalog, logger: createLogger('silent'), version: 'test', onFatal: (err) => assert.fail(err) });
  await service.start();
  app = await buildPortal({ config, catalog, logger: createLogger('silent') });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const res = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'admin-password' }) });
  session = { cookie: res.headers.getSetCookie()[0]!.split(';')[0]!, csrf: ((await res.json()) as { csrfToken: string }).csrfToken };
});

after(async () => {
  await app?.close();
  await service?.stop();
  catalog?.close();
  await rx?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function api(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${base}/api/v1${path}`, {
    method,
    headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}

const CF = ALARM_KINDS.ConnectionFailed;
const isV2c = (t: ReceivedTrap) => t.security.includes(`SNMP v2c, community ${COMMUNITY}`);
const isV3 = (t: ReceivedTrap) => t.security.includes(`SNMP v3, user ${NOC3.name}`);
const about = (source: string) => (t: ReceivedTrap) => t.trapOid === CF.oid && ovocFields(t).source === source;

test('a destination added, changed and removed through the API is used by the running SNMP service', async () => {
  // Active before any destination exists: nobody hears it yet.
  catalog.alarms.raise({ ...CF, source: 'box7d/A-SystemConfiguration', severity: 'critical', text: 'Connection To Storage A Lost' });
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(rx.traps.length, 0, 'no destination, no trap');

  const added = await api('POST', '/snmp/destinations', { host: '127.0.0.1', port: rx.port, version: 'v2c', community: COMMUNITY });
  assert.equal(added.status, 201);
  const v2c = ((await added.json()) as { item: { id: string } }).item.id;
  // The new NOC learns what is active now, then hears what happens next.
  const a = await rx.waitFor('active alarm A re-sent to the new destination', (t) => isV2c(t) && about('box7d/A-SystemConfiguration')(t), 5000);
  assert.equal(ovocFields(a).text, 'Connection To Storage A Lost');
  catalog.alarms.raise({ ...CF, source: 'box7d/B-SystemConfiguration', severity: 'critical', text: 'Connection To Storage B Lost' });
  await rx.waitFor('alarm B over v2c', (t) => isV2c(t) && about('box7d/B-SystemConfiguration')(t), 5000);

  // A v3 destination beside it: the next alarm arrives twice, once per security model.
  const v3 = await api('POST', '/snmp/destinations', { host: '127.0.0.1', port: rx.port, version: 'v3', user: { name: NOC3.name, authProtocol: 'sha', authKey: NOC3.authKey, privProtocol: 'aes', privKey: NOC3.privKey } });
  assert.equal(v3.status, 201);
  const v3Id = ((await v3.json()) as { item: { id: string } }).item.id;
  await rx.waitFor('active alarms re-sent to the v3 newcomer only', (t) => isV3(t) && about('box7d/B-SystemConfiguration')(t), 5000);
  assert.equal(rx.traps.filter((t) => isV2c(t) && about('box7d/B-SystemConfiguration')(t)).length, 1, 'the existing destination is not sent the active alarms again');
  const mark = rx.traps.length;
  catalog.alarms.clear(CF.name, 'box7d/A-SystemConfiguration');
  await rx.waitFor('clear of A over v2c', (t) => isV2c(t) && about('box7d/A-SystemConfiguration')(t) && ovocFields(t).severity === 0, 5000, mark);
  await rx.waitFor('clear of A over v3', (t) => isV3(t) && about('box7d/A-SystemConfiguration')(t) && ovocFields(t).severity === 0, 5000, mark);

  // Removing the v2c destination: the next alarm reaches the v3 one only.
  assert.equal((await api('DELETE', `/snmp/destinations/${v2c}`)).status, 200);
  await new Promise((r) => setTimeout(r, 1200));
  const mark2 = rx.traps.length;
  catalog.alarms.raise({ ...CF, source: 'box7d/C-SystemConfiguration', severity: 'major', text: 'Connection To Storage C Lost' });
  await rx.waitFor('alarm C over v3', (t) => isV3(t) && about('box7d/C-SystemConfiguration')(t), 5000, mark2);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(rx.traps.slice(mark2).filter(isV2c).length, 0, 'the removed destination hears nothing');

  // Pointing the v3 destination elsewhere (an unused port) silences it here.
  const upd = await api('PUT', `/snmp/destinations/${v3Id}`, { host: '127.0.0.1', port: await freePort(), version: 'v3', user: { name: NOC3.name, authProtocol: 'sha', authKey: '********', privProtocol: 'aes', privKey: '********' } });
  assert.equal(upd.status, 200);
  await new Promise((r) => setTimeout(r, 1200));
  const mark3 = rx.traps.length;
  catalog.alarms.clear(CF.name, 'box7d/C-SystemConfiguration');
  await new Promise((r) => setTimeout(r, 2000));
  assert.equal(rx.traps.length, mark3, 'nothing arrives after the destination moved away');
});
