// Spool-and-forward to a real S3 endpoint (s3rver in its own process): recordings land in the
// bucket verified, an outage of the target queues them (recording goes on, ConnectionFailed is
// raised), the queue drains when it is back (alarm cleared, every recording present exactly
// once), and playback works from the spool while queued and from the bucket afterwards.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startAppliance, PortalClient, waitFor } from '../support/appliance.js';
import { S3Server, s3Target } from '../support/s3-server.js';
import { filesOf, recordCall, sha256, storageAlarm, waitForFiles, type ApiFile } from '../support/storage-checks.js';
import { mediaKey } from '../../storage/media/media-target.js';

let s3: S3Server;
before(async () => {
  s3 = await S3Server.start();
});
after(async () => {
  await s3?.destroy();
});

const SOURCE = 'sipvault/S3Vault-SystemConfiguration';

async function objectBytes(bucket: string, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of await s3.client().getObject(bucket, key)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function keysOf(portal: PortalClient, id: string, files: ApiFile[]): Promise<Array<{ key: string; file: ApiFile }>> {
  const it = await portal.json<{ startTime: string }>(`/api/v1/interactions/${id}`);
  return files.map((file) => ({ key: mediaKey(new Date(it.startTime), id, file.format), file }));
}

async function download(portal: PortalClient, id: string, format: 'wav' | 'mp3', range?: string): Promise<{ status: number; body: Buffer; contentRange: string | null }> {
  const res = await portal.fetch(`/api/v1/interactions/${id}/media?format=${format}`, range ? { headers: { range } } : {});
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()), contentRange: res.headers.get('content-range') };
}

test('S3 target: stored and verified; an outage queues, alarms, keeps recording; back again it drains exactly once', async () => {
  const bucket = 'recordings-e2e'; // not there yet: the recorder creates it
  const app = await startAppliance({
    storage: { target: s3Target(s3, bucket), upload: { retryInitialSeconds: 0.5, retryMaxSeconds: 1, probeIntervalSeconds: 1 } },
  });
  try {
    const portal = await PortalClient.login(app.portalUrl);

    // Target up: two calls end up in the bucket, matching the catalog's SHA-256.
    const upIds = [(await recordCall(portal, app.sipPort, 1)).id, (await recordCall(portal, app.sipPort, 2)).id];
    const stored = await waitForFiles(portal, upIds, 'target');
    for (const id of upIds) {
      for (const { key, file } of await keysOf(portal, id, stored.get(id)!)) {
        const bytes = await objectBytes(bucket, key);
        assert.equal(bytes.length, file.bytes, `${key}: size`);
        assert.equal(sha256(bytes), file.sha256, `${key}: SHA-256 in the bucket = catalog`);
      }
    }

    // Target down: calls still succeed, their files wait in the spool, ConnectionFailed is raised.
    await s3.kill();
    const alarm = await waitFor('ConnectionFailed for the S3 target', () => storageAlarm(portal, SOURCE));
    assert.equal(alarm.text, 'Connection To Storage S3Vault Lost');
    assert.equal(alarm.severity, 'critical');
    const downIds: string[] = [];
    for (const n of [3, 4, 5]) {
      const call = await recordCall(portal, app.sipPort, n);
      assert.equal(call.answerStatus, 200, 'calls are answered while the target is down');
      assert.equal(call.byeStatus, 200);
      downIds.push(call.id);
    }
    const queued = await waitForFiles(portal, downIds, 'spool');
    const spoolHashes = new Map<string, string>();
    for (const id of downIds) {
      for (const f of queued.get(id)!) {
        const spoolFile = join(app.dataDir, 'spool', `${id}.${f.format}`);
        const h = sha256(readFileSync(spoolFile));
        assert.equal(h, f.sha256, `${id}.${f.format}: spool file = catalog SHA-256`);
        spoolHashes.set(`${id}.${f.format}`, h);
      }
      // Playable from the spool while queued, whole and by range.
      const whole = await download(portal, id, 'wav');
      assert.equal(whole.status, 200);
      assert.equal(sha256(whole.body), queued.get(id)!.find((f) => f.format === 'wav')!.sha256);
      const part = await download(portal, id, 'wav', 'bytes=100-1099');
      assert.equal(part.status, 206);
      assert.equal(part.contentRange, `bytes 100-1099/${whole.body.length}`);
      assert.deepEqual(part.body, whole.body.subarray(100, 1100));
    }
    assert.ok(await storageAlarm(portal, SOURCE), 'the alarm stays while the target is down');

    // Target back: the queue drains, the alarm clears, the spool empties.
    await s3.resume();
    const drained = await waitForFiles(portal, downIds, 'target');
    await waitFor('ConnectionFailed cleared', async () => !(await storageAlarm(portal, SOURCE)));
    const all = [...upIds, ...downIds];
    const spool = join(app.dataDir, 'spool');
    await waitFor('spool copies removed', async () => readdirSync(spool).every((f) => !/\.(wav|mp3)$/.test(f)), 10_000, () => readdirSync(spool));

    // Exactly once: the bucket holds one object per catalog file and nothing else.
    const listing = await s3.list(bucket);
    const expected = new Map<string, ApiFile>();
    for (const id of all) for (const { key, file } of await keysOf(portal, id, await filesOf(portal, id))) expected.set(key, file);
    assert.deepEqual([...listing.keys()].sort(), [...expected.keys()].sort(), 'bucket = catalog, no strays or duplicates');
    for (const [key, file] of expected) {
      const bytes = await objectBytes(bucket, key);
      assert.equal(sha256(bytes), file.sha256, `${key}: SHA-256`);
      const id = key.slice(key.lastIndexOf('/') + 1);
      if (spoolHashes.has(id)) assert.equal(file.sha256, spoolHashes.get(id), `${id}: the uploaded file is the one that was spooled`);
    }

    // Playback after upload: from the bucket, whole and by range.
    for (const id of downIds) {
      const wav = drained.get(id)!.find((f) => f.format === 'wav')!;
      const whole = await download(portal, id, 'wav');
      assert.equal(whole.status, 200);
      assert.equal(sha256(whole.body), wav.sha256);
      const part = await download(portal, id, 'wav', 'bytes=44-');
      assert.equal(part.status, 206);
      assert.deepEqual(part.body, whole.body.subarray(44));
      const mp3 = await download(portal, id, 'mp3', 'bytes=0-9');
      assert.equal(mp3.status, 206);
      assert.equal(mp3.body.length, 10);
    }
    assert.equal(existsSync(join(spool, 'mp3-queue')) ? readdirSync(join(spool, 'mp3-queue')).length : 0, 0, 'no MP3 left to make');
  } finally {
    await app.stop();
  }
});
