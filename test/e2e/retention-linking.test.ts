// End to end: the real appliance links recorded calls to portal users (Direction per user,
// unassigned calls for admins only), stamps each with its expiry, and its portal process purges
// expired recordings at start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAppliance, PortalClient, waitFor } from '../support/appliance.js';
import { placeSiprecCall } from '../support/siprec-call.js';
import { recordedCall } from '../support/recording-checks.js';
import { Catalog } from '../../storage/catalog/index.js';
import { mediaKey } from '../../storage/media/media-target.js';

interface Item {
  id: string;
  callId: string;
  startTime: string;
  direction: string;
  expiresAt: string | null;
  status: string;
  deletedReason: string | null;
  targets: Array<{ username: string; direction: string }>;
}

test('recorded calls are linked to the users whose extension is a party; unassigned ones are for admins', async (t) => {
  const app = await startAppliance({ retention: { defaultDays: 30 } });
  t.after(() => app.stop());
  const admin = await PortalClient.login(app.portalUrl);
  const created = await admin.fetch('/api/v1/users', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'bob', password: 'bob-password', role: 'user', extensions: ['+15552000'] }),
  });
  assert.equal(created.status, 201);

  const place = (caller: string, callee: string) =>
    placeSiprecCall({
      transport: 'udp',
      host: '127.0.0.1',
      port: app.sipPort,
      caller: { aor: `sip:${caller}@sbc.example.com`, name: 'Caller', freq: 440 },
      callee: { aor: `sip:${callee}@pbx.example.com`, name: 'Callee', freq: 1000 },
      durationMs: 1000,
    });
  const toBob = await place('+15551000', '+15552000');
  const toNobody = await place('+15553000', '+15554000');
  assert.equal(toBob.answerStatus, 200);
  assert.equal(toNobody.answerStatus, 200);

  const bobsCall = (await recordedCall(admin, '+15551000', toBob.callId)) as unknown as Item;
  const orphan = (await recordedCall(admin, '+15553000', toNobody.callId)) as unknown as Item;
  assert.deepEqual(bobsCall.targets.map((x) => [x.username, x.direction]), [['bob', 'Incoming']]);
  assert.equal(bobsCall.direction, 'Incoming');
  assert.equal(Date.parse(bobsCall.expiresAt!) - Date.parse(bobsCall.startTime), 30 * 86_400_000, 'expiry = start + retention.defaultDays');
  assert.deepEqual(orphan.targets, []);

  const bob = await PortalClient.login(app.portalUrl, 'bob', 'bob-password');
  const bobSees = await bob.json<{ items: Item[] }>('/api/v1/interactions');
  assert.deepEqual(bobSees.items.map((i) => i.callId), [toBob.callId]);
  assert.equal((await bob.fetch(`/api/v1/interactions/${orphan.id}`)).status, 404);
  const unassigned = await admin.json<{ items: Item[] }>('/api/v1/interactions?unassigned=true');
  assert.deepEqual(unassigned.items.map((i) => i.callId), [toNobody.callId]);
});

test('the portal process purges expired recordings when it starts, leaving a tombstone', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sipvault-purge-at-start-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  // A catalog with one call recorded 100 days ago under 30-day retention, its WAV on disk.
  const catalog = Catalog.open(dataDir);
  const start = new Date(Date.now() - 100 * 86_400_000);
  const id = catalog.interactions.create({
    callId: 'old@src',
    sessionId: null,
    startTime: start,
    direction: 'None',
    callingParty: 'sip:100@pbx',
    calledParty: 'sip:200@pbx',
    participants: [],
    src: 'udp:10.0.0.5:5060',
    streams: [],
    partyRule: null,
    retentionDays: 30,
  });
  catalog.interactions.finish(id, { endTime: new Date(start.getTime() + 60_000), releaseCause: 'Normal', status: 'pending', streams: [] });
  const key = mediaKey(start, id, 'wav');
  const file = join(dataDir, 'media', key);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, 'RIFF');
  catalog.interactions.attachFile(id, { format: 'wav', key, bytes: 4, sha256: 'ab'.repeat(32), sampleRate: 8000, channels: 2, durationMs: 60_000 });
  catalog.interactions.setStatus(id, 'available');
  catalog.close();

  const app = await startAppliance({ dataDir });
  t.after(() => app.stop({ keepData: true }));
  const admin = await PortalClient.login(app.portalUrl);
  const tomb = await waitFor('the expired call purged', async () => {
    const it = await admin.json<Item>(`/api/v1/interactions/${id}`);
    return it.status === 'deleted' ? it : null;
  });
  assert.equal(tomb.deletedReason, 'retention');
  assert.ok(!existsSync(file), 'the WAV left the media store');
  const audit = await admin.json<{ items: Array<{ action: string; target: string | null; details: Record<string, unknown> | null }> }>('/api/v1/audit');
  assert.ok(audit.items.some((e) => e.action === 'retention.purge' && e.target === id));
  assert.ok(audit.items.some((e) => e.action === 'retention.summary' && e.details?.description === 'purge summary: 1 calls purged, 0 held'));
});
