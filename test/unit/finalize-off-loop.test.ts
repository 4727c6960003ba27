// Finalisation off the event loop (issue 9): the hash pool's worker threads give the digest the
// catalog has always had, run below the recorder's priority, and a burst of call ends goes through
// the finalizer at most `maxInFlight` at a time, each listed `available` only once its WAV was
// made durable and hashed. Real catalog, real files, real worker threads, real SQLite locks.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import BetterSqlite3 from 'better-sqlite3';
import { Catalog, type NewInteraction } from '../../storage/catalog/index.js';
import { CATALOG_FILE } from '../../storage/catalog/database.js';
import { LocalMediaTarget } from '../../storage/media/local-target.js';
import { verifyStored, VerificationError } from '../../storage/media/verify.js';
import { queuedSpoolPath } from '../../storage/media/spool-path.js';
import { WavFile } from '../../recorder/media/wav-file.js';
import { Finalizer } from '../../recorder/finalize/finalizer.js';
import { HashPool } from '../../recorder/finalize/hash-pool.js';

const ALL = { kind: 'all' } as const;
const logger = pino({ level: 'silent' });

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'sipvault-finalize-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function pool(t: TestContext, size?: number): HashPool {
  const p = new HashPool(size);
  t.after(() => p.close());
  return p;
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** Bytes that differ everywhere, so a chunk hashed twice or skipped changes the digest. */
function noise(bytes: number, seed: number): Buffer {
  const b = Buffer.alloc(bytes);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < bytes; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

/** A spool WAV as the media engine leaves it: `ms` of stereo PCM written in 250 ms batches. */
function writeSpool(path: string, ms: number, seed: number): void {
  const wav = new WavFile(path, 8000, 2);
  for (let b = 0; b < ms / 250; b++) wav.append(noise(8000, seed + b), 8000);
  wav.close();
}

function newCall(catalog: Catalog, i: number): string {
  const n: NewInteraction = {
    callId: `burst-${i}@src`,
    sessionId: null,
    startTime: new Date(Date.UTC(2026, 10, 24, 10, 0, i)),
    direction: 'None',
    callingParty: `+1555000${String(i).padStart(4, '0')}`,
    calledParty: '200',
    participants: [],
    src: 'udp:127.0.0.1:5060',
    streams: [{ label: '1', participantId: null, channel: 0, codec: 'PCMU', mixed: false }],
    partyRule: null,
  };
  const id = catalog.interactions.create(n);
  catalog.interactions.finish(id, { endTime: new Date(n.startTime.getTime() + 60_000), releaseCause: 'Normal', status: 'pending', streams: [], failureReason: null });
  return id;
}

test('hash pool: the digest and size of hashing the file here, past the 1 MiB read buffer, with and without fsync; a missing file names its path', async (t) => {
  const dir = tempDir(t);
  const p = pool(t);
  const sizes = [0, 1, 1 << 20, (1 << 20) + 1, 3 * (1 << 20) + 12345];
  const files = sizes.map((n, i) => {
    const path = join(dir, `f${i}.bin`);
    writeFileSync(path, noise(n, 7 + i));
    return path;
  });
  // All at once through a pool of two: queued jobs keep their own answers.
  const got = await Promise.all(files.map((f, i) => p.digest(f, { sync: i % 2 === 0 })));
  for (let i = 0; i < files.length; i++) {
    assert.equal(got[i]!.sha256, sha256(files[i]!), `digest of ${sizes[i]} bytes`);
    assert.equal(got[i]!.bytes, sizes[i]);
  }
  assert.equal(p.running, 0);
  assert.equal(p.queued, 0);
  const missing = join(dir, 'gone.wav');
  await assert.rejects(p.digest(missing, { sync: true }), (err: NodeJS.ErrnoException) => err.code === 'ENOENT' && err.message.includes(missing));
  // The pool goes on after a failed job.
  assert.equal((await p.digest(files[1]!)).sha256, sha256(files[1]!));
  await p.close();
  await assert.rejects(p.digest(files[1]!), /hash pool closed/);
});

test('hash pool: a background job (checking a stored copy) waits while recordings to list are queued', async (t) => {
  const dir = tempDir(t);
  const files = ['a', 'bg', 'c', 'd'].map((n, i) => {
    const path = join(dir, `${n}.bin`);
    writeFileSync(path, noise(200_000, 11 + i));
    return path;
  });
  const p = pool(t, 1);
  const order: string[] = [];
  const run = (i: number, background: boolean) => p.digest(files[i]!, { background }).then((d) => order.push(`${i}:${d.sha256 === sha256(files[i]!)}`));
  // One worker: the first job takes it; of the rest, the foreground ones go first, in order.
  const jobs = [run(0, false), run(1, true), run(2, false), run(3, false)];
  assert.equal(p.running, 1);
  assert.equal(p.queued, 3);
  await Promise.all(jobs);
  assert.deepEqual(order, ['0:true', '2:true', '3:true', '1:true']);
});

test('hash pool: the hashing thread runs at nice 10, the event loop thread keeps its priority', { skip: process.platform !== 'linux' ? 'per-thread nice is Linux' : false }, async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'f.bin');
  writeFileSync(path, noise(4096, 3));
  // Field 19 of /proc/<pid>/task/<tid>/stat is the thread's nice value (after the "(comm)" field).
  const nice = (stat: string) => Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  const mainBefore = nice(readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8'));
  const p = pool(t, 1);
  await p.digest(path);
  const tasks = readdirSync('/proc/self/task').map((tid) => ({ tid, nice: nice(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')) }));
  assert.equal(tasks.find((x) => x.tid === String(process.pid))!.nice, mainBefore, 'the main thread keeps its nice value');
  assert.ok(tasks.some((x) => x.nice === 10), `a thread at nice 10 among ${JSON.stringify(tasks)}`);
});

test('a burst of 16 call ends with maxInFlight 3: never more than 3 under way, all listed available with the digest of the file on disk', async (t) => {
  const dir = tempDir(t);
  const catalog = Catalog.open(dir);
  t.after(() => catalog.close());
  const spoolDir = join(dir, 'spool');
  mkdirSync(spoolDir);
  const jobs = Array.from({ length: 16 }, (_, i) => {
    const id = newCall(catalog, i);
    // A name apart from the queue's, so "started" (renamed into the queue) shows in the spool.
    const spoolPath = join(spoolDir, `${id}.ending.wav`);
    writeSpool(spoolPath, 2000 + 250 * i, 100 * i);
    return { id, startTime: new Date(Date.UTC(2026, 10, 24, 10, 0, i)), spoolPath, sampleRate: 8000, channels: 2, durationMs: 2000 + 250 * i };
  });
  let queuedCalls = 0;
  const finalizer = new Finalizer({ catalog, spoolDir, logger, mp3: null, onQueued: () => queuedCalls++, hasher: pool(t), maxInFlight: 3 });

  // Watch from outside: started = renamed out of its spool name; done = available in the catalog.
  let watching = true;
  let maxUnderWay = 0;
  let maxInFlight = 0;
  const watch = (async () => {
    while (watching) {
      const started = jobs.filter((j) => !existsSync(j.spoolPath)).length;
      const done = jobs.filter((j) => catalog.interactions.get(j.id, ALL)?.status === 'available').length;
      maxUnderWay = Math.max(maxUnderWay, started - done);
      maxInFlight = Math.max(maxInFlight, finalizer.inFlight);
      await new Promise((r) => setImmediate(r));
    }
  })();
  const all = jobs.map((j) => finalizer.finalize(j));
  assert.equal(finalizer.inFlight, 3);
  assert.equal(finalizer.queued, 13);
  await Promise.all(all);
  await finalizer.drain();
  watching = false;
  await watch;

  assert.ok(maxUnderWay <= 3, `at most 3 renamed but not yet available at once, saw ${maxUnderWay}`);
  assert.equal(maxUnderWay, 3, 'the three slots were used side by side');
  assert.equal(maxInFlight, 3);
  assert.equal(queuedCalls, 16);
  for (const j of jobs) {
    const it = catalog.interactions.get(j.id, ALL)!;
    assert.equal(it.status, 'available');
    const wav = it.files.find((f) => f.format === 'wav')!;
    const path = queuedSpoolPath(spoolDir, j.id, 'wav');
    assert.equal(wav.sha256, sha256(path), `catalog digest of ${j.id}`);
    assert.equal(wav.bytes, readFileSync(path).length);
    assert.equal(wav.location, 'spool');
  }
});

test('catalog write lock held by another connection: the recording is listed once the lock is free, not left pending', async (t) => {
  const dir = tempDir(t);
  const catalog = Catalog.open(dir);
  t.after(() => catalog.close());
  const spoolDir = join(dir, 'spool');
  mkdirSync(spoolDir);
  const id = newCall(catalog, 1);
  const spoolPath = queuedSpoolPath(spoolDir, id, 'wav');
  writeSpool(spoolPath, 1000, 5);
  const finalizer = new Finalizer({ catalog, spoolDir, logger, mp3: null, onQueued: () => undefined, hasher: pool(t) });

  // The portal's connection, as it holds the write lock for an audit row or a purge.
  const portal = new BetterSqlite3(join(dir, CATALOG_FILE));
  t.after(() => portal.close());
  portal.exec('BEGIN IMMEDIATE');
  let released = false;
  // The recorder's connection gives up after its busy_timeout (it waits on this thread, so the
  // lock cannot be let go meanwhile); the release below runs as soon as that wait is over.
  const release = setTimeout(() => {
    portal.exec('COMMIT');
    released = true;
  }, 200);
  t.after(() => clearTimeout(release));
  await finalizer.finalize({ id, startTime: new Date(), spoolPath, sampleRate: 8000, channels: 2, durationMs: 1000 });
  assert.ok(released, 'listed only after the lock was released');
  const it = catalog.interactions.get(id, ALL)!;
  assert.equal(it.status, 'available');
  assert.equal(it.files.find((f) => f.format === 'wav')?.sha256, sha256(spoolPath));
});

test('verifying a local copy through the hash pool: a good copy passes, a copy with one byte changed is refused naming the key', async (t) => {
  const dir = tempDir(t);
  const target = new LocalMediaTarget('Local', join(dir, 'media'));
  await target.prepare();
  const src = join(dir, 'src.wav');
  writeFileSync(src, noise(1_500_000, 9));
  const key = '2026/11/24/abc.wav';
  await target.put(src, key);
  const p = pool(t);
  const hashLocal = (path: string) => p.digest(path);
  const expected = { key, bytes: 1_500_000, sha256: sha256(src) };
  await verifyStored(target, expected, hashLocal);
  const stored = target.localPath(key);
  const bytes = readFileSync(stored);
  bytes[1_000_000] = bytes[1_000_000]! ^ 1;
  writeFileSync(stored, bytes);
  await assert.rejects(verifyStored(target, expected, hashLocal), (err: Error) => err instanceof VerificationError && err.message.includes(key) && err.message.includes('SHA-256'));
});
