// Speech segments and the no-RTP detector through the real appliance (media.noRtpSeconds: 2):
// who spoke when comes back from GET /interactions/:id/speech; a stream that stops is a no-rtp
// event and, when it is back, rtp-resumed; a call without any RTP fails with its reason and keeps
// no file; a paused session is not reported.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startAppliance, PortalClient, waitFor, type Appliance } from '../support/appliance.js';
import { SrcCall } from '../support/src-call.js';
import { rand } from '../support/sip-client.js';
import { multipart, rfcMetadata } from '../support/siprec-call.js';
import { parseWav, type Wav } from '../support/audio.js';
import { sendToneStreams, type ToneStream } from '../support/rtp-sender.js';

interface Event {
  kind: string;
  offsetMs: number;
  details: Record<string, unknown> | null;
}
interface Detail {
  id: string;
  status: string;
  failureReason: string | null;
  events: Event[];
  files: Array<{ format: string }>;
}
interface Segment {
  channel: 'left' | 'right';
  startMs: number;
  endMs: number;
}

const NO_RTP_SECONDS = 2;
let app: Appliance;
let portal: PortalClient;
before(async () => {
  app = await startAppliance({ media: { noRtpSeconds: NO_RTP_SECONDS, mp3: { enabled: false } } });
  portal = await PortalClient.login(app.portalUrl);
});
after(async () => {
  await app?.stop();
});

const CALLER = { aor: 'sip:+15550100@sbc.test', name: 'Caller', freq: 440 };
const CALLEE = { aor: 'sip:+15550200@pbx.test', name: 'Callee', freq: 1000 };

function sdp(direction = 'sendonly', version = 1): string {
  const out = ['v=0', `o=SRC 7 ${version} IN IP4 127.0.0.1`, 's=-', 'c=IN IP4 127.0.0.1', 't=0 0'];
  for (const [label, port] of [['1', 31000], ['2', 31002]] as const) out.push(`m=audio ${port} RTP/AVP 0`, 'a=rtpmap:0 PCMU/8000', `a=label:${label}`, `a=${direction}`);
  return out.join('\r\n') + '\r\n';
}

async function start(): Promise<SrcCall> {
  const boundary = `b${rand(4)}`;
  const call = await SrcCall.invite({
    transport: 'udp',
    host: '127.0.0.1',
    port: app.sipPort,
    headers: ['Require: siprec'],
    contentType: `multipart/mixed;boundary=${boundary}`,
    body: multipart(boundary, sdp(), rfcMetadata(CALLER, CALLEE, '1', '2')),
  });
  assert.equal(call.final.status, 200);
  return call;
}

/** Caller (label 1, left) and callee (label 2, right) legs on the ports of `answer`. */
function legs(call: SrcCall, caller: Partial<ToneStream>, callee: Partial<ToneStream>, answer = call.final): ToneStream[] {
  const ports = call.ports(answer);
  return [
    { host: '127.0.0.1', port: ports[0]!, freq: CALLER.freq, codec: 'PCMU', ...caller },
    { host: '127.0.0.1', port: ports[1]!, freq: CALLEE.freq, codec: 'PCMU', ...callee },
  ];
}

async function ended(callId: string, status: 'available' | 'failed'): Promise<Detail> {
  return waitFor(`interaction ${callId} ${status}`, async () => {
    const page = await portal.json<{ items: Detail[] }>(`/api/v1/interactions?callId=${encodeURIComponent(callId)}`);
    return page.items[0]?.status === status ? page.items[0] : null;
  });
}

const ofKind = (it: Detail, kind: string) => it.events.filter((e) => e.kind === kind);

/** Where each channel of the WAV carries the tone: runs of 10 ms blocks with an RMS over 1000. */
function toneRuns(wav: Wav, ch: number): Array<[number, number]> {
  const block = wav.sampleRate / 100;
  const s = wav.samples[ch]!;
  const runs: Array<[number, number]> = [];
  for (let b = 0; b * block < s.length; b++) {
    let sq = 0;
    for (let i = b * block; i < Math.min(s.length, (b + 1) * block); i++) sq += s[i]! * s[i]!;
    if (Math.sqrt(sq / block) < 1000) continue;
    const last = runs[runs.length - 1];
    if (last && last[1] === b * 10) last[1] = (b + 1) * 10;
    else runs.push([b * 10, (b + 1) * 10]);
  }
  return runs;
}

test('alternating talk spurts on the left and right come back as speech segments of the right side and time', async () => {
  const call = await start();
  try {
    await sendToneStreams(legs(call, { talk: [[200, 1000], [2000, 2600]] }, { talk: [[1200, 1800]] }), 3000);
    assert.equal((await call.bye()).status, 200);
  } finally {
    call.close();
  }
  const it = await ended(call.callId, 'available');
  const { items } = await portal.json<{ items: Segment[] }>(`/api/v1/interactions/${it.id}/speech`);
  assert.deepEqual(items.map((s) => s.channel), ['left', 'right', 'left'], JSON.stringify(items));
  // Against where the tones really are in the stored file, and the length of each spurt.
  const wav = parseWav(Buffer.from(await (await portal.fetch(`/api/v1/interactions/${it.id}/media?format=wav`)).arrayBuffer()));
  const truth = [toneRuns(wav, 0)[0]!, toneRuns(wav, 1)[0]!, toneRuns(wav, 0)[1]!];
  items.forEach((s, k) => {
    assert.ok(Math.abs(s.startMs - truth[k]![0]) <= 40 && Math.abs(s.endMs - truth[k]![1]) <= 40, `segment ${JSON.stringify(s)} vs tone ${truth[k]}`);
    assert.ok(Math.abs(s.endMs - s.startMs - [800, 600, 600][k]!) <= 60, `segment ${k} lasts ${s.endMs - s.startMs} ms`);
  });
  assert.ok(Math.abs(items[0]!.startMs - 200) < 150, `first spurt at ${items[0]!.startMs} ms`);
  assert.deepEqual(ofKind(it, 'no-rtp'), [], 'both legs sent RTP throughout');
  assert.equal(it.failureReason, null);
});

test('a leg that stops for longer than media.noRtpSeconds gives no-rtp, then rtp-resumed with the gap', async () => {
  const call = await start();
  // Packets 40..164 of the caller are never sent: RTP stops at 0.8 s and is back at 3.3 s.
  const gap = Array.from({ length: 125 }, (_, i) => 40 + i);
  try {
    await sendToneStreams(legs(call, { impair: { drop: gap } }, {}), 4400);
    assert.equal((await call.bye()).status, 200);
  } finally {
    call.close();
  }
  const it = await ended(call.callId, 'available');
  const stopped = ofKind(it, 'no-rtp');
  const resumed = ofKind(it, 'rtp-resumed');
  assert.equal(stopped.length, 1, JSON.stringify(it.events));
  assert.equal(resumed.length, 1, JSON.stringify(it.events));
  const s = stopped[0]!;
  const r = resumed[0]!;
  assert.deepEqual({ label: s.details!.label, channel: s.details!.channel }, { label: '1', channel: 'left' });
  const silentMs = s.details!.silentMs as number;
  assert.ok(silentMs >= NO_RTP_SECONDS * 1000 && silentMs < NO_RTP_SECONDS * 1000 + 400, `silentMs ${silentMs}`);
  assert.ok(Math.abs(s.offsetMs - 800) < 150, `no-rtp timed where RTP stopped: ${s.offsetMs} ms`);
  assert.equal(r.details!.label, '1');
  const gapMs = r.details!.gapMs as number;
  assert.ok(Math.abs(gapMs - 2500) < 150, `gapMs ${gapMs}`);
  assert.ok(Math.abs(r.offsetMs - 3300) < 150, `rtp-resumed timed at the first packet back: ${r.offsetMs} ms`);
  assert.ok(Math.abs(r.offsetMs - s.offsetMs - gapMs) <= 20, 'the gap spans the two events');
  assert.equal(it.failureReason, null);
});

test('a call without any RTP: no-rtp for each stream, then failed with "No RTP received" and no file', async () => {
  const call = await start();
  try {
    await new Promise((r) => setTimeout(r, NO_RTP_SECONDS * 1000 + 600));
    assert.equal((await call.bye()).status, 200);
  } finally {
    call.close();
  }
  const it = await ended(call.callId, 'failed');
  assert.equal(it.failureReason, 'No RTP received');
  assert.deepEqual(it.files, []);
  const stopped = ofKind(it, 'no-rtp');
  assert.deepEqual(stopped.map((e) => [e.details!.label, e.details!.channel]).sort(), [['1', 'left'], ['2', 'right']]);
  for (const e of stopped) {
    assert.ok(e.offsetMs < 300, `silent from the start: ${e.offsetMs} ms`);
    assert.ok((e.details!.silentMs as number) >= NO_RTP_SECONDS * 1000);
  }
  assert.deepEqual(ofKind(it, 'rtp-resumed'), []);
  assert.deepEqual(await portal.json(`/api/v1/interactions/${it.id}/speech`), { items: [] });
  await waitFor('the silent spool file removed', async () => !existsSync(join(app.dataDir, 'spool', `${it.id}.wav`)), 5000);
});

test('a paused session raises no no-rtp while paused, however long the pause', async () => {
  const call = await start();
  try {
    await sendToneStreams(legs(call, {}, {}), 600);
    const pause = await call.send('INVITE', { contentType: 'application/sdp', body: sdp('inactive', 2) });
    assert.equal(pause.status, 200);
    await new Promise((r) => setTimeout(r, NO_RTP_SECONDS * 1000 + 700));
    const resume = await call.send('INVITE', { contentType: 'application/sdp', body: sdp('sendonly', 3) });
    assert.equal(resume.status, 200);
    await sendToneStreams(legs(call, {}, {}, resume), 600);
    assert.equal((await call.bye()).status, 200);
  } finally {
    call.close();
  }
  const it = await ended(call.callId, 'available');
  assert.deepEqual(it.events.filter((e) => e.kind === 'pause' || e.kind === 'resume').map((e) => e.kind), ['pause', 'resume']);
  assert.deepEqual(ofKind(it, 'no-rtp'), [], JSON.stringify(it.events));
  assert.deepEqual(ofKind(it, 'rtp-resumed'), []);
  assert.equal(it.failureReason, null);
});
