import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Catalog, LegalHoldError, type AccessScope, type NewInteraction } from '../../storage/catalog/index.js';
import { LocalMediaTarget } from '../../storage/media/local-target.js';
import { mediaKey } from '../../storage/media/media-target.js';
import { deleteRecording, purgeExpired } from '../../portal/jobs/retention.js';

const ALL: AccessScope = { kind: 'all' };
const DAY = 86_400_000;

interface Fixture {
  catalog: Catalog;
  target: LocalMediaTarget;
  spoolDir: string;
  /** Where the purge and deletion look for media: the target and the spool. */
  places: { target: LocalMediaTarget; spoolDir: string };
  /** A finished, available call of `calling` with a WAV and an MP3 really on disk. */
  record(calling: string, start: string, retentionDays: number | null): string;
}

function fixture(t: { after: (fn: () => void) => void }): Fixture {
  const dir = mkdtempSync(join(tmpdir(), 'sipvault-retention-'));
  const catalog = Catalog.open(join(dir, 'data'));
  const target = new LocalMediaTarget('Local', join(dir, 'media'));
  const spoolDir = join(dir, 'spool');
  mkdirSync(spoolDir);
  t.after(() => {
    catalog.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const record = (calling: string, start: string, retentionDays: number | null) => {
    const n: NewInteraction = {
      callId: `${calling}-${start}@src`,
      sessionId: null,
      startTime: new Date(start),
      direction: 'None',
      callingParty: `sip:${calling}@pbx`,
      calledParty: 'sip:+15550000@pstn',
      participants: [
        { participantId: 'a', name: null, aor: `sip:${calling}@pbx`, role: 'calling' },
        { participantId: 'b', name: null, aor: 'sip:+15550000@pstn', role: 'called' },
      ],
      src: 'udp:10.0.0.5:5060',
      streams: [],
      partyRule: null,
      retentionDays,
    };
    const id = catalog.interactions.create(n);
    catalog.interactions.finish(id, { endTime: new Date(Date.parse(start) + 60_000), releaseCause: 'Normal', status: 'pending', streams: [] });
    for (const format of ['wav', 'mp3'] as const) {
      const key = mediaKey(new Date(start), id, format);
      mkdirSync(join(target.root, key, '..'), { recursive: true });
      writeFileSync(target.pathOf(key), `${format} audio of ${id}`);
      catalog.interactions.attachFile(id, { format, key, bytes: 20, sha256: 'ab'.repeat(32), sampleRate: 8000, channels: 2, durationMs: 60_000 });
    }
    catalog.interactions.addNote(id, { authorId: null, author: 'admin', text: 'quarterly figures discussed' });
    catalog.interactions.setStatus(id, 'available');
    return id;
  };
  return { catalog, target, spoolDir, places: { target, spoolDir }, record };
}

const onDisk = (f: Fixture, id: string) => f.catalog.interactions.get(id, ALL)!.files.map((x) => existsSync(f.target.pathOf(x.key)));

test('expiry = start + retention days to the millisecond; 0 or null keeps forever', (t) => {
  const f = fixture(t);
  // Seed 000 §1.11: Start 2024-06-06T15:37:04.000Z with 365 days gives 2025-06-06T15:37:04.000Z.
  const id = f.record('100', '2024-06-06T15:37:04.000Z', 365);
  assert.equal(f.catalog.interactions.get(id, ALL)!.expiresAt, '2025-06-06T15:37:04.000Z');
  assert.equal(f.catalog.interactions.get(f.record('100', '2024-06-06T15:37:04.000Z', 0), ALL)!.expiresAt, null);
  assert.equal(f.catalog.interactions.get(f.record('100', '2024-06-06T15:37:04.000Z', null), ALL)!.expiresAt, null);
});

test('purge removes expired media from the target, keeps a tombstone, audits each call and the run', async (t) => {
  const f = fixture(t);
  const old = f.record('100', '2026-01-01T10:00:00Z', 30);
  const fresh = f.record('100', '2026-01-20T10:00:00Z', 30);
  const forever = f.record('100', '2025-01-01T10:00:00Z', null);
  const keys = f.catalog.interactions.get(old, ALL)!.files.map((x) => f.target.pathOf(x.key));

  // One millisecond before expiry nothing goes.
  let s = await purgeExpired({ catalog: f.catalog, ...f.places, now: new Date(Date.parse('2026-01-31T10:00:00Z') - 1) });
  assert.deepEqual(s, { purged: 0, held: 0, failed: 0 });
  assert.deepEqual(onDisk(f, old), [true, true]);

  s = await purgeExpired({ catalog: f.catalog, ...f.places, now: new Date('2026-01-31T10:00:00Z') });
  assert.deepEqual(s, { purged: 1, held: 0, failed: 0 });
  assert.ok(keys.every((k) => !existsSync(k)), 'both files gone from the target');
  const tomb = f.catalog.interactions.get(old, ALL)!;
  assert.equal(tomb.status, 'deleted');
  assert.equal(tomb.deletedReason, 'retention');
  assert.equal(tomb.deletedAt, '2026-01-31T10:00:00.000Z');
  assert.equal(tomb.expiresAt, '2026-01-31T10:00:00.000Z');
  assert.deepEqual(tomb.files, []);
  assert.deepEqual([tomb.callingParty, tomb.participants, tomb.notes], [null, [], []], 'metadata went with the media');
  assert.equal(f.catalog.interactions.list({ limit: 10, q: 'quarterly' }, ALL).items.some((i) => i.id === old), false);
  assert.deepEqual(onDisk(f, fresh), [true, true]);
  assert.deepEqual(onDisk(f, forever), [true, true]);

  const audit = f.catalog.audit.list({ limit: 100 });
  const perCall = audit.filter((e) => e.action === 'retention.purge');
  assert.deepEqual(perCall.map((e) => e.target), [old]);
  assert.equal((perCall[0]!.details!.files as unknown[]).length, 2);
  const summaries = audit.filter((e) => e.action === 'retention.summary');
  assert.equal(summaries.length, 2);
  assert.equal(summaries[0]!.details!.description, 'purge summary: 1 calls purged, 0 held');
  assert.equal(summaries[0]!.details!.activityType, 'Retention');

  // A second run at the same time finds nothing left to do.
  assert.deepEqual(await purgeExpired({ catalog: f.catalog, ...f.places, now: new Date('2026-01-31T10:00:00Z') }), { purged: 0, held: 0, failed: 0 });
});

test("seed 000 legal hold example: 90 days, user held 1 June to 1 August; calls keep their own expiry", async (t) => {
  const f = fixture(t);
  const user = f.catalog.users.add({ username: 'adele', password: 'adele-password', role: 'user', extensions: ['100'] });
  const run = (iso: string) => purgeExpired({ catalog: f.catalog, ...f.places, now: new Date(iso) });

  const april = f.record('100', '2024-04-01T09:00:00Z', 90); // expires 2024-06-30: during the hold
  const june1 = f.record('100', '2024-06-01T09:00:00Z', 90); // expires 2024-08-30: after the release
  const other = f.record('999', '2024-04-01T09:00:00Z', 90); // not adele's: never held
  assert.equal(f.catalog.interactions.get(june1, ALL)!.expiresAt, new Date(Date.parse('2024-06-01T09:00:00Z') + 90 * DAY).toISOString());

  assert.equal(f.catalog.retention.setUserHold(user.id, new Date('2024-06-01T00:00:00Z')), true);
  const during = f.record('100', '2024-07-01T09:00:00Z', 30); // recorded during the hold, expires 2024-07-31
  assert.equal(f.catalog.interactions.get(during, ALL)!.legalHold, true, 'calls recorded during a user hold are held too');

  let s = await run('2024-07-31T12:00:00Z');
  assert.deepEqual(s, { purged: 1, held: 2, failed: 0 }, 'the unheld call goes; april and during are kept by the hold');
  assert.equal(f.catalog.interactions.get(other, ALL)!.status, 'deleted');
  assert.deepEqual(onDisk(f, april), [true, true]);
  assert.deepEqual(onDisk(f, during), [true, true]);
  assert.equal(f.catalog.interactions.get(april, ALL)!.expiresAt, '2024-06-30T09:00:00.000Z', 'the hold does not move the expiry');

  assert.equal(f.catalog.retention.setUserHold(user.id, null), true);
  s = await run('2024-08-01T01:00:00Z'); // the first run after the release
  assert.deepEqual(s, { purged: 2, held: 0, failed: 0 });
  assert.equal(f.catalog.interactions.get(april, ALL)!.status, 'deleted');
  assert.equal(f.catalog.interactions.get(during, ALL)!.status, 'deleted');
  assert.equal(f.catalog.interactions.get(june1, ALL)!.status, 'available', 'the 1 June call is kept until its own expiry');

  assert.deepEqual((await run('2024-08-30T08:59:59.999Z')).purged, 0);
  assert.deepEqual((await run('2024-08-30T09:00:00Z')).purged, 1);
  assert.equal(f.catalog.interactions.get(june1, ALL)!.status, 'deleted');
});

test('a recording hold blocks purge and manual deletion; release lets the next run purge it', async (t) => {
  const f = fixture(t);
  const id = f.record('100', '2026-01-01T10:00:00Z', 7);
  assert.equal(f.catalog.retention.setRecordingHold(id, new Date('2026-01-02T00:00:00Z')), true);
  assert.equal(f.catalog.retention.setRecordingHold(id, new Date('2026-01-03T00:00:00Z')), false, 'already held');
  const held = f.catalog.interactions.get(id, ALL)!;
  assert.deepEqual([held.legalHold, held.legalHoldSince], [true, '2026-01-02T00:00:00.000Z']);

  assert.deepEqual(await purgeExpired({ catalog: f.catalog, ...f.places, now: new Date('2026-03-01T00:00:00Z') }), { purged: 0, held: 1, failed: 0 });
  await assert.rejects(
    deleteRecording(f.catalog, f.places, { id, mode: 'media', authorizedBy: 'GlobalAdmin', note: 'Purging call data', now: new Date() }),
    (err: unknown) => err instanceof LegalHoldError && /legal hold/.test(err.message),
  );
  assert.throws(() => f.catalog.retention.tombstone(id, { reason: 'manual', removeMetadata: true, at: new Date() }), LegalHoldError);
  assert.deepEqual(onDisk(f, id), [true, true], 'nothing removed under hold');

  f.catalog.retention.setRecordingHold(id, null);
  assert.deepEqual(await purgeExpired({ catalog: f.catalog, ...f.places, now: new Date('2026-03-01T00:00:00Z') }), { purged: 1, held: 0, failed: 0 });
});

test('manual deletion: media only keeps the metadata, metadata and media leaves a bare tombstone', async (t) => {
  const f = fixture(t);
  const a = f.record('100', '2026-01-01T10:00:00Z', null);
  const b = f.record('100', '2026-01-01T11:00:00Z', null);
  const pathsA = f.catalog.interactions.get(a, ALL)!.files.map((x) => f.target.pathOf(x.key));
  const r = await deleteRecording(f.catalog, f.places, { id: a, mode: 'media', authorizedBy: 'GlobalAdmin', note: 'Purging call data', now: new Date('2026-02-01T00:00:00Z') });
  assert.equal(r.files.length, 2);
  assert.ok(pathsA.every((p) => !existsSync(p)));
  const ta = f.catalog.interactions.get(a, ALL)!;
  assert.deepEqual([ta.status, ta.deletedReason, ta.callingParty, ta.notes.length, ta.files.length], ['deleted', 'manual', 'sip:100@pbx', 1, 0]);

  await deleteRecording(f.catalog, f.places, { id: b, mode: 'metadataAndMedia', authorizedBy: 'GlobalAdmin', note: 'Purging call data', now: new Date('2026-02-01T00:00:00Z') });
  const tb = f.catalog.interactions.get(b, ALL)!;
  assert.deepEqual([tb.status, tb.callingParty, tb.calledParty, tb.participants.length, tb.notes.length], ['deleted', null, null, 0, 0]);
});

test('a media target that fails leaves the recording intact and is retried by the next run', async (t) => {
  const f = fixture(t);
  const id = f.record('100', '2026-01-01T10:00:00Z', 1);
  let fail = true;
  class FlakyTarget extends LocalMediaTarget {
    override async delete(key: string): Promise<void> {
      if (fail) throw new Error('storage unreachable');
      await super.delete(key);
    }
  }
  const flaky = new FlakyTarget('Flaky', f.target.root);
  const now = new Date('2026-02-01T00:00:00Z');
  assert.deepEqual(await purgeExpired({ catalog: f.catalog, target: flaky, spoolDir: f.spoolDir, now }), { purged: 0, held: 0, failed: 1 });
  assert.equal(f.catalog.interactions.get(id, ALL)!.status, 'available');
  assert.equal(f.catalog.audit.list({ limit: 50 }).filter((e) => e.action === 'retention.purge.failed').length, 1);
  fail = false;
  assert.deepEqual(await purgeExpired({ catalog: f.catalog, target: flaky, spoolDir: f.spoolDir, now }), { purged: 1, held: 0, failed: 0 });
  assert.deepEqual(onDisk(f, id), []);
});

test('a recording still queued in the spool (target unreachable) is purged from the spool', async (t) => {
  const f = fixture(t);
  const id = f.record('100', '2026-01-01T10:00:00Z', 1);
  // As spool-and-forward leaves it while the target is down: the files wait in the spool.
  for (const file of f.catalog.interactions.get(id, ALL)!.files) {
    const spooled = join(f.spoolDir, `${id}.${file.format}`);
    writeFileSync(spooled, `${file.format} audio of ${id}`);
    rmSync(f.target.pathOf(file.key));
    f.catalog.interactions.attachFile(id, { ...file, location: 'spool' });
  }
  assert.equal(f.catalog.uploads.count(), 2);
  assert.deepEqual(await purgeExpired({ catalog: f.catalog, ...f.places, now: new Date('2026-02-01T00:00:00Z') }), { purged: 1, held: 0, failed: 0 });
  assert.equal(existsSync(join(f.spoolDir, `${id}.wav`)), false);
  assert.equal(existsSync(join(f.spoolDir, `${id}.mp3`)), false);
  assert.equal(f.catalog.uploads.count(), 0, 'nothing left for the forwarder to upload');
  assert.equal(f.catalog.interactions.get(id, ALL)!.status, 'deleted');
});
