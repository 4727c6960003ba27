// Spool-and-forward to a real S3 endpoint (s3rver in its own process): recordings land in the
// bucket verified, an outage of the target queues them (recording goes on, ConnectionFailed is
// raised), the queue drains when it is back (alarm cleared, every recording present exactly
// once), and playback works from the spool while queued and from the bucket afterwards.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { BIN, startAppliance, PortalClient, sipOptionsOk, waitFor } from '../support/appliance.js';
import { recorderPidOf } from '../support/processes.js';
import { SlowProxy } from '../support/slow-proxy.js';
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

test('kill -9 of the recorder mid-upload, and while uploads are queued: nothing lost, nothing duplicated', async () => {
  const bucket = 'recordings-kill';
  // 24 KB/s towards the target: a 1.5 s call's WAV (~48 KB) takes about two seconds to upload.
  const proxy = await SlowProxy.start(s3.port, 24 * 1024);
  const app = await startAppliance({
    storage: { target: s3Target(s3, bucket, proxy.port), upload: { retryInitialSeconds: 0.5, retryMaxSeconds: 1, probeIntervalSeconds: 0 } },
  });
  try {
    const supervisor = app.process.pid!;
    const portal = await PortalClient.login(app.portalUrl);
    const ids: string[] = [];

    // 1. Killed in the middle of a WAV upload.
    const first = recorderPidOf(supervisor);
    assert.ok(first);
    ids.push((await recordCall(portal, app.sipPort, 11)).id);
    const put = await waitFor('a WAV upload under way', async () => proxy.requests.find((r) => r.line.startsWith('PUT ') && r.line.includes('.wav') && r.forwarded > 8 * 1024) ?? null, 20_000, () => proxy.requests);
    const files = await filesOf(portal, ids[0]!);
    assert.equal(files.find((f) => f.format === 'wav')?.location, 'spool', 'killed before the upload was verified');
    process.kill(first, 'SIGKILL');
    const second = await waitFor('the restarted recorder', async () => {
      const pid = recorderPidOf(supervisor);
      return pid && pid !== first ? pid : null;
    });
    assert.ok(put.forwarded > 0);

    // 2. Target down: calls queue, then the recorder is killed with the queue full.
    await waitFor('recorder answering again', async () => (await sipOptionsOk(app.sipPort).catch(() => false)) || null);
    await s3.kill();
    for (const n of [12, 13]) ids.push((await recordCall(portal, app.sipPort, n)).id);
    await waitForFiles(portal, ids.slice(1), 'spool');
    process.kill(second, 'SIGKILL');
    await waitFor('the second restart', async () => {
      const pid = recorderPidOf(supervisor);
      return pid && pid !== second ? pid : null;
    });
    await s3.resume();

    // Everything arrives, once.
    await waitForFiles(portal, ids, 'target', 60_000);
    const listing = await s3.list(bucket);
    const expected = new Map<string, ApiFile>();
    for (const id of ids) for (const { key, file } of await keysOf(portal, id, await filesOf(portal, id))) expected.set(key, file);
    assert.deepEqual([...listing.keys()].sort(), [...expected.keys()].sort(), 'one object per recording file, no strays');
    for (const [key, file] of expected) {
      const bytes = await objectBytes(bucket, key);
      assert.equal(bytes.length, file.bytes, `${key}: size`);
      assert.equal(sha256(bytes), file.sha256, `${key}: SHA-256`);
    }
    const page = await portal.json<{ items: unknown[] }>('/api/v1/interactions?limit=50');
    assert.equal(page.items.length, ids.length, 'one interaction per call, none doubled by the restarts');
    const spool = join(app.dataDir, 'spool');
    await waitFor('spool copies removed', async () => readdirSync(spool).every((f) => !/\.(wav|mp3)$/.test(f)), 10_000, () => readdirSync(spool));
  } finally {
    await app.stop();
    await proxy.close();
    if (!s3.running) await s3.resume();
  }
});

test('sipvault storage test: exit 0 against a running target, 1 with the reason when it is down or the key is wrong', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sipvault-storage-test-'));
  const run = (target: Record<string, unknown>) => {
    const configPath = join(dir, `c-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(configPath, stringify({ dataDir: dir, storage: { target } }));
    const r = spawnSync(process.execPath, [BIN, 'storage', 'test', '--config', configPath], { encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  try {
    const ok = run(s3Target(s3, 'probe-bucket'));
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /^storage S3Vault \(s3 http:\/\/127\.0\.0\.1:\d+\/probe-bucket\): OK, wrote, read back and deleted a test object in \d+ ms\n$/);
    assert.deepEqual([...(await s3.list('probe-bucket')).keys()], [], 'the probe object is gone again');

    // (s3rver checks access keys but not SigV4 signatures, so a wrong secret cannot be shown here.)
    const badKey = run({ ...s3Target(s3, 'probe-bucket'), accessKey: 'NOT-A-KEY' });
    assert.equal(badKey.code, 1);
    // A HEAD (bucket check) carries no error body, so the refusal is reported as AccessDenied.
    assert.match(badKey.err, /FAILED: storage\.target\.accessKey: access to bucket probe-bucket denied for this access key \(AccessDenied\)\n$/);

    const local = run({ type: 'local', name: 'Disk', path: join(dir, 'media') });
    assert.equal(local.code, 0, local.err);
    assert.match(local.out, /^storage Disk \(local .*\): OK/);

    await s3.kill();
    const down = run(s3Target(s3, 'probe-bucket'));
    assert.equal(down.code, 1);
    assert.equal(down.out, '');
    assert.match(down.err, new RegExp(`^storage S3Vault \\(.*\\): FAILED: storage\\.target\\.endPoint: cannot reach 127\\.0\\.0\\.1:${s3.port} \\(ECONNREFUSED\\)\\n$`));
  } finally {
    if (!s3.running) await s3.resume();
    rmSync(dir, { recursive: true, force: true });
  }
});
