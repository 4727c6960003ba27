// A storage target added and activated through the portal API is used by the recorder after a
// restart (the answer says restartRequired: true), with the real appliance and a real s3rver.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startAppliance, PortalClient, type Appliance } from '../support/appliance.js';
import { S3Server, s3Target } from '../support/s3-server.js';
import { recordCall, sha256, waitForFiles } from '../support/storage-checks.js';

let s3: S3Server;
const apps: Appliance[] = [];

before(async () => {
  s3 = await S3Server.start();
});
after(async () => {
  for (const a of apps) await a.stop({ keepData: true });
  if (apps[0]) rmSync(apps[0].dataDir, { recursive: true, force: true });
  await s3?.destroy();
});

async function call(portal: PortalClient, path: string, method: string, body?: unknown) {
  const res = await portal.fetch(path, { method, ...(body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

test('an S3 target activated through the API receives the recordings after the restart it asked for', async () => {
  const first = await startAppliance({ storage: { upload: { probeIntervalSeconds: 1 } } });
  apps.push(first);
  let portal = await PortalClient.login(first.portalUrl);
  const target = { ...s3Target(s3, 'switched-bucket'), name: 'Vault' };
  assert.equal((await call(portal, '/api/v1/storage/targets', 'POST', target)).status, 201);
  const tested = await call(portal, '/api/v1/storage/targets/Vault/test', 'POST');
  assert.equal(tested.body.ok, true, String(tested.body.message));
  const activated = await call(portal, '/api/v1/storage/targets/Vault/activate', 'POST');
  assert.equal(activated.status, 200, JSON.stringify(activated.body));
  assert.equal(activated.body.restartRequired, true);

  // Restart (same data directory, same config file): the recorder now opens the bucket.
  await first.stop({ keepData: true });
  apps.shift();
  const second = await startAppliance({ dataDir: first.dataDir, storage: { upload: { probeIntervalSeconds: 1 } } });
  apps.push(second, first);
  portal = await PortalClient.login(second.portalUrl);
  const { id } = await recordCall(portal, second.sipPort, 1);
  const files = (await waitForFiles(portal, [id], 'target')).get(id)!;
  // Recordings only: the health probe's object (sipvault-probe/) comes and goes.
  const listing = new Map([...(await s3.list('switched-bucket'))].filter(([k]) => !k.startsWith('sipvault-probe/')));
  assert.equal(listing.size, 2, `one WAV and one MP3 in the bucket: ${[...listing.keys()].join(', ')}`);
  for (const f of files) {
    const key = [...listing.keys()].find((k) => k.endsWith(`/${id}.${f.format}`));
    assert.ok(key, `${f.format} of ${id} is in the activated bucket`);
    assert.equal(listing.get(key), f.bytes);
    const chunks: Buffer[] = [];
    for await (const c of await s3.client().getObject('switched-bucket', key)) chunks.push(c as Buffer);
    assert.equal(sha256(Buffer.concat(chunks)), f.sha256, `${key}: SHA-256 = catalog`);
  }
  // The portal plays it from there, and lists the bucket as the active target holding it.
  const media = await portal.fetch(`/api/v1/interactions/${id}/media?format=wav`, { headers: { range: 'bytes=0-43' } });
  assert.equal(media.status, 206);
  assert.equal(Buffer.from(await media.arrayBuffer()).subarray(0, 4).toString('ascii'), 'RIFF');
  const { items } = (await call(portal, '/api/v1/storage/targets', 'GET')).body as { items: Array<{ name: string; active: boolean; files: number | null; state: string }> };
  const vault = items.find((t) => t.name === 'Vault')!;
  assert.deepEqual([vault.active, vault.files, vault.state], [true, 2, 'Connected']);
  assert.equal(items.find((t) => t.name !== 'Vault')!.active, false);
});
