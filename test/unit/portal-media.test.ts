import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildConfig } from '../../config/loader.js';
import { createLogger } from '../../config/logger.js';
import { Catalog, type NewInteraction } from '../../storage/catalog/index.js';
import { buildPortal } from '../../portal/server.js';

let dir: string;
let catalog: Catalog;
let app: FastifyInstance;
let base: string;
let wav: Buffer;
let id: string;
let hiddenId: string;
let lostId: string;

/** A 16-bit stereo 8 kHz RIFF WAV with a recognisable ramp. */
function makeWav(frames: number): Buffer {
  const data = Buffer.alloc(frames * 4);
  for (let i = 0; i < frames * 2; i++) data.writeInt16LE(((i * 97) % 65536) - 32768, i * 2);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVEfmt ', 8, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(2, 22);
  h.writeUInt32LE(8000, 24);
  h.writeUInt32LE(8000 * 4, 28);
  h.writeUInt16LE(4, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

function call(calling: string, called: string): NewInteraction {
  return {
    callId: `${calling}-${called}@src`,
    sessionId: null,
    startTime: new Date('2026-11-24T10:00:00Z'),
    direction: 'Incoming',
    callingParty: `sip:${calling}@pbx`,
    calledParty: `sip:${called}@pbx`,
    participants: [],
    src: 'udp:10.0.0.5:5060',
    streams: [],
    partyRule: null,
  };
}

function store(mediaRoot: string, interactionId: string, bytes: Buffer, write = true): void {
  const key = `2026/11/24/${interactionId}.wav`;
  if (write) {
    mkdirSync(dirname(join(mediaRoot, key)), { recursive: true });
    writeFileSync(join(mediaRoot, key), bytes);
  }
  catalog.interactions.attachFile(interactionId, {
    format: 'wav',
    key,
    bytes: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    sampleRate: 8000,
    channels: 2,
    durationMs: 250,
  });
  catalog.interactions.setStatus(interactionId, 'available');
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sipvault-media-'));
  const mediaRoot = join(dir, 'recordings');
  const config = buildConfig(
    { dataDir: dir, portal: { listen: '127.0.0.1:0' }, storage: { target: { type: 'local', name: 'Local', path: mediaRoot } } },
    'test',
  );
  catalog = Catalog.open(config.dataDir);
  catalog.users.add({ username: 'alice', password: 'alice-password', role: 'user', extensions: ['100'] });
  wav = makeWav(2000);
  id = catalog.interactions.create(call('100', '200'));
  store(mediaRoot, id, wav);
  hiddenId = catalog.interactions.create(call('200', '300'));
  store(mediaRoot, hiddenId, wav);
  lostId = catalog.interactions.create(call('100', '300'));
  store(mediaRoot, lostId, wav, false);
  app = await buildPortal({ config, catalog, logger: createLogger('silent') });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});

after(async () => {
  await app?.close();
  catalog?.close();
  rmSync(dir, { recursive: true, force: true });
});

let cookie: string | undefined;
async function session(): Promise<string> {
  if (cookie) return cookie;
  const res = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'alice', password: 'alice-password' }),
  });
  assert.equal(res.status, 200);
  cookie = res.headers.getSetCookie()[0]!.split(';')[0]!;
  return cookie;
}

async function media(path: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${base}${path}`, { headers: { cookie: await session(), ...headers } });
}

const mediaAudit = () => catalog.audit.list({ limit: 1000 }).filter((e) => e.action.startsWith('media.'));

test('Range bytes=0-99 answers 206 with exactly 100 bytes and Content-Range; audited once as media.play', async () => {
  const res = await media(`/api/v1/interactions/${id}/media?format=wav`, { range: 'bytes=0-99' });
  assert.equal(res.status, 206);
  assert.equal(res.headers.get('content-range'), `bytes 0-99/${wav.length}`);
  assert.equal(res.headers.get('content-type'), 'audio/wav');
  assert.equal(res.headers.get('accept-ranges'), 'bytes');
  const body = Buffer.from(await res.arrayBuffer());
  assert.equal(body.length, 100);
  assert.deepEqual(body, wav.subarray(0, 100));

  const next = await media(`/api/v1/interactions/${id}/media`, { range: 'bytes=100-199' });
  assert.equal(next.status, 206);
  assert.deepEqual(Buffer.from(await next.arrayBuffer()), wav.subarray(100, 200));

  const rows = mediaAudit();
  assert.equal(rows.length, 1, 'later chunks of the same playback are not audited');
  assert.equal(rows[0]!.action, 'media.play');
  assert.equal(rows[0]!.target, id);
  assert.equal(rows[0]!.username, 'alice');
});

test('full download answers 200 with the file, as an attachment; audited as media.download', async () => {
  const res = await media(`/api/v1/interactions/${id}/media`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'audio/wav');
  assert.equal(res.headers.get('content-disposition'), `attachment; filename="${id}.wav"`);
  assert.equal(Number(res.headers.get('content-length')), wav.length);
  assert.deepEqual(Buffer.from(await res.arrayBuffer()), wav);
  const rows = mediaAudit();
  assert.equal(rows[0]!.action, 'media.download');
  const detail = (await (await media(`/api/v1/interactions/${id}`)).json()) as { files: Array<Record<string, unknown>> };
  assert.equal(detail.files[0]!.sha256, createHash('sha256').update(wav).digest('hex'));
  assert.ok(!('key' in detail.files[0]!), 'storage keys stay inside the appliance');
  assert.equal(rows[0]!.target, id);
  assert.equal(rows.filter((r) => r.action === 'media.download').length, 1);
});

test('404 for another scope, a missing format, a file missing on disk; 416 past the end; 401 without login', async () => {
  const before = mediaAudit().length;
  const hidden = await media(`/api/v1/interactions/${hiddenId}/media`);
  assert.equal(hidden.status, 404);
  assert.deepEqual(await hidden.json(), { error: 'Not Found', message: 'interaction not found' });

  const mp3 = await media(`/api/v1/interactions/${id}/media?format=mp3`);
  assert.equal(mp3.status, 404);
  assert.deepEqual(await mp3.json(), { error: 'Not Found', message: 'no mp3 recording for this interaction' });

  const lost = await media(`/api/v1/interactions/${lostId}/media`);
  assert.equal(lost.status, 404);
  assert.match(((await lost.json()) as { message: string }).message, /missing from the media store/);

  const beyond = await media(`/api/v1/interactions/${id}/media`, { range: `bytes=${wav.length + 10}-` });
  assert.equal(beyond.status, 416);
  assert.equal(beyond.headers.get('content-range'), `bytes */${wav.length}`);
  assert.equal(((await beyond.json()) as { error: string }).error, 'Range Not Satisfiable');

  const anon = await fetch(`${base}/api/v1/interactions/${id}/media`);
  assert.equal(anon.status, 401);
  assert.equal(mediaAudit().length, before, 'refused requests are not audited as playback');
});

test('a recording waiting for its upload plays from the spool (ranges, 416, audit), and from the target once stored', async () => {
  const queuedId = catalog.interactions.create(call('100', '500'));
  const bytes = makeWav(1500);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const key = `2026/11/24/${queuedId}.wav`;
  mkdirSync(join(dir, 'spool'), { recursive: true });
  writeFileSync(join(dir, 'spool', `${queuedId}.wav`), bytes);
  catalog.interactions.attachFile(queuedId, { format: 'wav', key, bytes: bytes.length, sha256, sampleRate: 8000, channels: 2, durationMs: 187, location: 'spool' });
  catalog.interactions.setStatus(queuedId, 'available');
  const before = mediaAudit().length;

  const detail = (await (await media(`/api/v1/interactions/${queuedId}`)).json()) as { files: Array<{ location: string }> };
  assert.equal(detail.files[0]!.location, 'spool');
  const whole = await media(`/api/v1/interactions/${queuedId}/media`);
  assert.equal(whole.status, 200);
  assert.equal(whole.headers.get('content-type'), 'audio/wav');
  assert.equal(Number(whole.headers.get('content-length')), bytes.length);
  assert.deepEqual(Buffer.from(await whole.arrayBuffer()), bytes);
  const part = await media(`/api/v1/interactions/${queuedId}/media`, { range: 'bytes=0-99' });
  assert.equal(part.status, 206);
  assert.equal(part.headers.get('content-range'), `bytes 0-99/${bytes.length}`);
  assert.deepEqual(Buffer.from(await part.arrayBuffer()), bytes.subarray(0, 100));
  const tail = await media(`/api/v1/interactions/${queuedId}/media`, { range: 'bytes=-10' });
  assert.deepEqual(Buffer.from(await tail.arrayBuffer()), bytes.subarray(bytes.length - 10));
  const beyond = await media(`/api/v1/interactions/${queuedId}/media`, { range: `bytes=${bytes.length}-` });
  assert.equal(beyond.status, 416);
  assert.equal(beyond.headers.get('content-range'), `bytes */${bytes.length}`);
  const rows = mediaAudit().slice(0, mediaAudit().length - before);
  assert.deepEqual(rows.map((r) => r.action).sort(), ['media.download', 'media.play'], 'one download, one play; later chunks and the 416 not audited');

  // Uploaded: the target has it, the catalog says so, the spool copy is gone.
  const mediaRoot = join(dir, 'recordings');
  mkdirSync(dirname(join(mediaRoot, key)), { recursive: true });
  writeFileSync(join(mediaRoot, key), bytes);
  assert.equal(catalog.uploads.markStored({ interactionId: queuedId, format: 'wav', key, sha256 }), true);
  rmSync(join(dir, 'spool', `${queuedId}.wav`));
  const stored = await media(`/api/v1/interactions/${queuedId}/media`, { range: 'bytes=100-199' });
  assert.equal(stored.status, 206);
  assert.deepEqual(Buffer.from(await stored.arrayBuffer()), bytes.subarray(100, 200));
});
