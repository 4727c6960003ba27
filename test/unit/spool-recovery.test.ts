// Spool recovery against a real catalog, real spool files and the real media target (and the
// real ffmpeg for the MP3 queue): each state a killed recorder can leave behind, and what its
// successor's start makes of it.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Catalog, type Interaction, type NewInteraction } from '../../storage/catalog/index.js';
import { LocalMediaTarget } from '../../storage/media/local-target.js';
import { mediaKey } from '../../storage/media/media-target.js';
import { WavFile } from '../../recorder/media/wav-file.js';
import { Finalizer } from '../../recorder/finalize/finalizer.js';
import { FfmpegPool } from '../../recorder/finalize/ffmpeg-pool.js';
import { findFfmpeg } from '../../recorder/finalize/ffmpeg-binary.js';
import { Mp3Stage, mp3QueueDir, mp3QueuePath } from '../../recorder/finalize/mp3-stage.js';
import { recoverSpool } from '../../recorder/finalize/spool-recovery.js';
import { Forwarder } from '../../recorder/finalize/forwarder.js';
import { parseWav } from '../support/audio.js';

const ALL = { kind: 'all' } as const;
const logger = pino({ level: 'silent' });
const START = new Date('2026-11-24T10:00:00Z');

interface Setup {
  dir: string;
  spoolDir: string;
  catalog: Catalog;
  target: LocalMediaTarget;
}

function setup(t: TestContext): Setup {
  const dir = mkdtempSync(join(tmpdir(), 'sipvault-recovery-'));
  const catalog = Catalog.open(dir);
  t.after(() => {
    catalog.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const spoolDir = join(dir, 'spool');
  mkdirSync(spoolDir);
  return { dir, spoolDir, catalog, target: new LocalMediaTarget('Local', join(dir, 'media')) };
}

function newCall(catalog: Catalog, party: string): string {
  const n: NewInteraction = {
    callId: `${party}@src`,
    sessionId: null,
    startTime: START,
    direction: 'None',
    callingParty: party,
    calledParty: '200',
    participants: [],
    src: 'udp:127.0.0.1:5060',
    streams: [{ label: '1', participantId: null, channel: 0, codec: 'PCMU', mixed: false }],
    partyRule: null,
  };
  return catalog.interactions.create(n);
}

/** A spool WAV as the recorder writes it: `ms` of a 440 Hz / 1000 Hz stereo tone in 250 ms batches. */
function writeSpool(path: string, ms: number): void {
  const wav = new WavFile(path, 8000, 2);
  const frames = 2000;
  for (let b = 0; b < ms / 250; b++) {
    const pcm = Buffer.alloc(frames * 4);
    for (let i = 0; i < frames; i++) {
      const n = b * frames + i;
      pcm.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * n) / 8000)), i * 4);
      pcm.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 1000 * n) / 8000)), i * 4 + 2);
    }
    wav.append(pcm, pcm.length);
  }
  wav.close();
}

/** Runs the real forwarder until the upload queue is empty: queued files reach the target. */
async function forwardAll(s: Setup): Promise<void> {
  const f = new Forwarder({ catalog: s.catalog, target: s.target, spoolDir: s.spoolDir, logger, applianceId: 'sipvault', retryInitialMs: 100, retryMaxMs: 100, probeIntervalMs: 0 });
  f.start();
  const until = Date.now() + 10_000;
  while (s.catalog.uploads.count() > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  await f.stop();
  assert.equal(s.catalog.uploads.count(), 0, 'upload queue drained');
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const get = (catalog: Catalog, id: string): Interaction => catalog.interactions.get(id, ALL)!;

test('recording + spool file: partial; recording without one: failed; pending: stored whole; no catalog row: kept', async (t) => {
  const s = setup(t);
  const { spoolDir, catalog, target } = s;
  const finalizer = new Finalizer({ catalog, spoolDir, logger, mp3: null, onQueued: () => undefined });

  const crashed = newCall(catalog, 'crashed');
  writeSpool(join(spoolDir, `${crashed}.wav`), 1500);
  appendFileSync(join(spoolDir, `${crashed}.wav`), Buffer.alloc(2000 * 4 + 3, 1)); // a batch past the header, torn

  const noFile = newCall(catalog, 'nofile');

  const ended = newCall(catalog, 'ended');
  writeSpool(join(spoolDir, `${ended}.wav`), 1000);
  const endedAt = new Date(START.getTime() + 1100);
  catalog.interactions.finish(ended, { endTime: endedAt, releaseCause: 'Normal', status: 'pending', streams: [] });

  const orphan = 'abcdef0123456789abcdef01';
  writeSpool(join(spoolDir, `${orphan}.wav`), 250);
  writeFileSync(join(spoolDir, 'notes.txt'), 'not ours');

  const summary = await recoverSpool({ catalog, spoolDir, finalizer, mp3: null, logger });
  assert.deepEqual(summary, { partial: 1, resumed: 1, adopted: 0, failed: 1, orphans: 1, mp3Requeued: 0, uploadsQueued: 0 });
  // Before anything is stored, the catalog already says what happened.
  assert.equal(get(catalog, noFile).status, 'failed');
  assert.equal(get(catalog, noFile).releaseCause, 'Failure');
  assert.equal(get(catalog, crashed).status, 'pending');
  await finalizer.drain();
  assert.equal(get(catalog, crashed).files[0]?.location, 'spool', 'listed and playable before the upload');
  await forwardAll(s);

  const c = get(catalog, crashed);
  assert.equal(c.status, 'available');
  assert.equal(c.partial, true);
  assert.equal(c.releaseCause, 'Failure');
  assert.equal(c.durationMs, 1750, 'end = start + the audio on disk (the unannounced batch included)');
  assert.equal(c.endTime, new Date(START.getTime() + 1750).toISOString());
  const wavFile = c.files.find((f) => f.format === 'wav')!;
  assert.equal(wavFile.durationMs, 1750);
  assert.equal(wavFile.location, 'target');
  const stored = target.pathOf(mediaKey(START, crashed, 'wav'));
  assert.equal(wavFile.sha256, sha256(stored));
  assert.equal(parseWav(readFileSync(stored)).durationSec, 1.75);

  const e = get(catalog, ended);
  assert.equal(e.status, 'available');
  assert.equal(e.partial, false, 'a call that had ended was recorded whole');
  assert.equal(e.releaseCause, 'Normal');
  assert.equal(e.endTime, endedAt.toISOString());

  assert.deepEqual(readdirSync(spoolDir).sort(), [`${orphan}.wav`, 'notes.txt'], 'only the orphan (and what is not ours) stays');
  assert.equal(get(catalog, crashed).partial, true);
});

test('the MP3 queue: a missing MP3 is made, a WAV stored just before the crash is adopted, leftovers go', async (t) => {
  const ffmpeg = findFfmpeg();
  assert.ok(ffmpeg, 'ffmpeg is installed (Debian package or @ffmpeg-installer/ffmpeg)');
  const s = setup(t);
  const { spoolDir, catalog, target } = s;
  const pool = new FfmpegPool(ffmpeg.path, 2);
  const mp3 = new Mp3Stage({ catalog, pool, bitrateKbps: 32, spoolDir, logger, onQueued: () => undefined });
  const finalizer = new Finalizer({ catalog, spoolDir, logger, mp3, onQueued: () => undefined });
  mkdirSync(mp3QueueDir(spoolDir));

  // Stored and available, killed before its MP3 was made.
  const noMp3 = newCall(catalog, 'nomp3');
  const spoolA = join(spoolDir, `${noMp3}.wav`);
  writeSpool(spoolA, 1000);
  linkSync(spoolA, mp3QueuePath(spoolDir, noMp3));
  const shaA = sha256(spoolA);
  const keyA = mediaKey(START, noMp3, 'wav');
  const storedA = await target.put(spoolA, keyA);
  unlinkSync(spoolA); // as a recorder before spool-and-forward left it: moved into the target
  catalog.interactions.finish(noMp3, { endTime: new Date(START.getTime() + 1000), releaseCause: 'Normal', status: 'pending', streams: [] });
  catalog.interactions.attachFile(noMp3, { format: 'wav', key: keyA, bytes: storedA.bytes, sha256: shaA, sampleRate: 8000, channels: 2, durationMs: 1000 });
  catalog.interactions.setStatus(noMp3, 'available');

  // Moved into the media store, killed before the catalog said so.
  const moved = newCall(catalog, 'moved');
  const spoolB = join(spoolDir, `${moved}.wav`);
  writeSpool(spoolB, 750);
  linkSync(spoolB, mp3QueuePath(spoolDir, moved));
  const shaB = sha256(spoolB);
  await target.put(spoolB, mediaKey(START, moved, 'wav'));
  unlinkSync(spoolB);
  catalog.interactions.finish(moved, { endTime: new Date(START.getTime() + 750), releaseCause: 'Normal', status: 'pending', streams: [] });

  // Partial output of an ffmpeg that died with the recorder.
  writeFileSync(join(mp3QueueDir(spoolDir), `${noMp3}.4242.mp3`), 'half an mp3');

  const summary = await recoverSpool({ catalog, spoolDir, finalizer, mp3, logger });
  assert.deepEqual(summary, { partial: 0, resumed: 0, adopted: 1, failed: 0, orphans: 0, mp3Requeued: 1, uploadsQueued: 0 });
  await finalizer.drain();
  await mp3.drain();
  await forwardAll(s);

  const a = get(catalog, noMp3);
  const aMp3 = a.files.find((f) => f.format === 'mp3');
  assert.ok(aMp3, `MP3 attached: ${JSON.stringify(a.files)}`);
  assert.equal(aMp3.sha256, sha256(target.pathOf(mediaKey(START, noMp3, 'mp3'))));
  assert.equal(readFileSync(target.pathOf(aMp3.key)).subarray(0, 3).toString('latin1'), 'ID3');

  const b = get(catalog, moved);
  assert.equal(b.status, 'available');
  assert.equal(b.partial, false);
  assert.deepEqual(b.files.map((f) => f.format), ['mp3', 'wav']);
  const bWav = b.files.find((f) => f.format === 'wav')!;
  assert.equal(bWav.sha256, shaB);
  assert.equal(bWav.durationMs, 750);
  assert.ok(existsSync(target.pathOf(bWav.key)));

  assert.deepEqual(readdirSync(mp3QueueDir(spoolDir)), [], 'the queue is empty once every MP3 is made');
});

test('spool-and-forward states: a queued upload (and its MP3 link) is kept and finished, a verified leftover is removed', async (t) => {
  const ffmpeg = findFfmpeg();
  assert.ok(ffmpeg, 'ffmpeg is installed (Debian package or @ffmpeg-installer/ffmpeg)');
  const s = setup(t);
  const { spoolDir, catalog, target } = s;
  const pool = new FfmpegPool(ffmpeg.path, 1);
  const mp3 = new Mp3Stage({ catalog, pool, bitrateKbps: 32, spoolDir, logger, onQueued: () => undefined });
  const finalizer = new Finalizer({ catalog, spoolDir, logger, mp3, onQueued: () => undefined });

  // Finalised (listed, playable from the spool), killed before the upload and before its MP3.
  const queued = newCall(catalog, 'queued');
  const spoolQ = join(spoolDir, `${queued}.wav`);
  writeSpool(spoolQ, 1000);
  catalog.interactions.finish(queued, { endTime: new Date(START.getTime() + 1000), releaseCause: 'Normal', status: 'pending', streams: [] });
  pool.stop(); // as if killed before ffmpeg ran: the MP3 is not made, its queue link stays
  await finalizer.finalize({ id: queued, startTime: START, spoolPath: spoolQ, sampleRate: 8000, channels: 2, durationMs: 1000 });
  await mp3.drain();
  const pool2 = new FfmpegPool(ffmpeg.path, 1);
  t.after(() => pool2.stop());
  const mp3b = new Mp3Stage({ catalog, pool: pool2, bitrateKbps: 32, spoolDir, logger, onQueued: () => undefined });
  assert.equal(get(catalog, queued).status, 'available');
  assert.deepEqual(get(catalog, queued).files.map((f) => [f.format, f.location]), [['wav', 'spool']]);
  assert.ok(existsSync(mp3QueuePath(spoolDir, queued)), 'its MP3 is still to do');

  // Verified in the target, killed before the spool copy was removed.
  const leftover = newCall(catalog, 'leftover');
  const spoolL = join(spoolDir, `${leftover}.wav`);
  writeSpool(spoolL, 500);
  const keyL = mediaKey(START, leftover, 'wav');
  await target.put(spoolL, keyL);
  catalog.interactions.finish(leftover, { endTime: new Date(START.getTime() + 500), releaseCause: 'Normal', status: 'pending', streams: [] });
  catalog.interactions.attachFile(leftover, { format: 'wav', key: keyL, bytes: 0, sha256: sha256(spoolL), sampleRate: 8000, channels: 2, durationMs: 500, location: 'target' });
  catalog.interactions.setStatus(leftover, 'available');

  const finalizer2 = new Finalizer({ catalog, spoolDir, logger, mp3: mp3b, onQueued: () => undefined });
  const summary = await recoverSpool({ catalog, spoolDir, finalizer: finalizer2, mp3: mp3b, logger });
  assert.deepEqual(summary, { partial: 0, resumed: 0, adopted: 0, failed: 0, orphans: 0, mp3Requeued: 1, uploadsQueued: 1 });
  assert.ok(!existsSync(spoolL), 'the verified leftover is gone from the spool');
  assert.ok(existsSync(target.pathOf(keyL)), 'and still in the target');
  await mp3b.drain();
  await forwardAll(s);

  const q = get(catalog, queued);
  assert.deepEqual(q.files.map((f) => [f.format, f.location]), [['mp3', 'target'], ['wav', 'target']]);
  for (const f of q.files) assert.equal(sha256(target.pathOf(f.key)), f.sha256, `${f.format} stored as listed`);
  assert.deepEqual(readdirSync(spoolDir).filter((n) => /\.(wav|mp3)$/.test(n)), [], 'the spool is empty');
  assert.deepEqual(readdirSync(mp3QueueDir(spoolDir)), []);
});
