// Speech segments and failure reasons: stored by the catalog, served by the portal with the same
// access rule as the interaction itself.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildConfig } from '../../config/loader.js';
import { createLogger } from '../../config/logger.js';
import { Catalog, InvalidInputError, NotFoundError, type NewInteraction, type SpeechSegment } from '../../storage/catalog/index.js';
import { buildPortal } from '../../portal/server.js';

let dir: string;
let catalog: Catalog;
let app: FastifyInstance;
let base: string;
let mine: string;
let theirs: string;
let noRtp: string;

const SEGMENTS: SpeechSegment[] = [
  { channel: 'right', startMs: 2900, endMs: 3700 },
  { channel: 'left', startMs: 500, endMs: 2600 },
  { channel: 'left', startMs: 4000, endMs: 4800 },
];

function call(calling: string, called: string): NewInteraction {
  return {
    callId: `${calling}-${called}@src`,
    sessionId: null,
    startTime: new Date('2026-11-24T09:00:00Z'),
    direction: 'Incoming',
    callingParty: `sip:${calling}@pbx`,
    calledParty: `sip:${called}@pbx`,
    participants: [],
    src: 'udp:10.0.0.5:5060',
    streams: [{ label: '1', participantId: null, channel: 0, codec: 'PCMU', mixed: false }],
    partyRule: null,
  };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sipvault-speech-'));
  const config = buildConfig({ dataDir: dir, portal: { listen: '127.0.0.1:0' } }, 'test');
  catalog = Catalog.open(config.dataDir);
  catalog.users.add({ username: 'admin', password: 'admin-password', role: 'admin', extensions: [] });
  catalog.users.add({ username: 'alice', password: 'alice-password', role: 'user', extensions: ['100'] });
  catalog.users.add({ username: 'audrey', password: 'audrey-password', role: 'auditor', extensions: [] });
  mine = catalog.interactions.create(call('100', '200'));
  theirs = catalog.interactions.create(call('300', '400'));
  noRtp = catalog.interactions.create(call('100', '500'));
  const end = new Date('2026-11-24T09:01:00Z');
  for (const id of [mine, theirs]) {
    catalog.transaction(() => {
      catalog.interactions.finish(id, { endTime: end, releaseCause: 'Normal', status: 'pending', streams: [] });
      catalog.speech.replace(id, SEGMENTS);
    });
  }
  catalog.interactions.finish(noRtp, { endTime: end, releaseCause: 'Normal', status: 'failed', streams: [], failureReason: 'No RTP received' });
  app = await buildPortal({ config, catalog, logger: createLogger('silent') });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});

after(async () => {
  await app?.close();
  catalog?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function login(username: string): Promise<string> {
  const res = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: `${username}-password` }),
  });
  assert.equal(res.status, 200);
  return res.headers.getSetCookie()[0]!.split(';')[0]!;
}

const get = (path: string, cookie: string) => fetch(`${base}${path}`, { headers: { cookie } });

test('the catalog keeps speech segments by start time, replaces them whole, and refuses bad ones', () => {
  const sorted = [...SEGMENTS].sort((a, b) => a.startMs - b.startMs);
  assert.deepEqual(catalog.speech.of(mine), sorted);
  assert.deepEqual(catalog.speech.of('0'.repeat(24)), []);
  assert.throws(() => catalog.speech.replace(mine, [{ channel: 'left', startMs: 900, endMs: 900 }]), InvalidInputError);
  assert.throws(() => catalog.speech.replace(mine, [{ channel: 'middle' as 'left', startMs: 0, endMs: 10 }]), /left or right/);
  assert.deepEqual(catalog.speech.of(mine), sorted, 'a refused replacement changes nothing');
  assert.throws(() => catalog.speech.replace('f'.repeat(24), SEGMENTS), NotFoundError);
});

test('GET /interactions/:id/speech answers the segments; 404 alike for hidden and missing; auditors 403', async () => {
  const alice = await login('alice');
  const res = await get(`/api/v1/interactions/${mine}/speech`, alice);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { items: [...SEGMENTS].sort((a, b) => a.startMs - b.startMs) });

  const hidden = await get(`/api/v1/interactions/${theirs}/speech`, alice);
  const missing = await get(`/api/v1/interactions/${'0'.repeat(24)}/speech`, alice);
  assert.equal(hidden.status, 404);
  assert.equal(missing.status, 404);
  assert.deepEqual(await hidden.json(), await missing.json(), 'existence is not revealed');

  const admin = await login('admin');
  assert.equal((await (await get(`/api/v1/interactions/${theirs}/speech`, admin)).json() as { items: unknown[] }).items.length, 3);
  assert.deepEqual(await (await get(`/api/v1/interactions/${noRtp}/speech`, admin)).json(), { items: [] });
  assert.equal((await get(`/api/v1/interactions/${mine}/speech`, await login('audrey'))).status, 403);
  assert.equal((await get(`/api/v1/interactions/not-an-id/speech`, admin)).status, 400);
  assert.equal((await fetch(`${base}/api/v1/interactions/${mine}/speech`)).status, 401);
});

test('failureReason is part of the interaction: the reason of a failed call, null otherwise', async () => {
  const admin = await login('admin');
  const failed = (await (await get(`/api/v1/interactions/${noRtp}`, admin)).json()) as { status: string; failureReason: string | null };
  assert.deepEqual({ status: failed.status, failureReason: failed.failureReason }, { status: 'failed', failureReason: 'No RTP received' });
  const ok = (await (await get(`/api/v1/interactions/${mine}`, admin)).json()) as { failureReason: string | null };
  assert.equal(ok.failureReason, null);
  const list = (await (await get('/api/v1/interactions?status=failed', admin)).json()) as { items: Array<{ id: string; failureReason: string | null }> };
  assert.deepEqual(list.items.map((i) => [i.id, i.failureReason]), [[noRtp, 'No RTP received']]);
});
