// A recording session's life after the INVITE: re-INVITEs, pause and resume, metadata updates,
// session timers, glare and ordering rules, BYE with metadata, and graceful shutdown.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startAppliance, PortalClient, waitFor, type Appliance } from '../support/appliance.js';
import { SrcCall } from '../support/src-call.js';
import { buildRequest, header, rand } from '../support/sip-client.js';
import { multipart, rfcMetadata } from '../support/siprec-call.js';
import { dominantFrequency, parseWav, rms } from '../support/audio.js';
import type { ApiInteraction } from '../support/recording-checks.js';
import { Catalog } from '../../storage/catalog/index.js';

type Detail = ApiInteraction & {
  participants: Array<{ participantId: string; aor: string | null }>;
  events: Array<{ kind: string; offsetMs: number }>;
  releaseCause: string;
};

let app: Appliance;
let portal: PortalClient;
before(async () => {
  app = await startAppliance();
  portal = await PortalClient.login(app.portalUrl);
});
after(async () => {
  await app?.stop();
});

const CALLER = { aor: 'sip:+15550100@sbc.test', name: 'Caller', freq: 440 };
const CALLEE = { aor: 'sip:+15550200@pbx.test', name: 'Callee', freq: 1000 };

function sdp(lines: Array<{ label: string; port: number; direction?: string; address?: string }>, version = 1): string {
  const out = ['v=0', `o=SRC 7 ${version} IN IP4 127.0.0.1`, 's=-', 'c=IN IP4 127.0.0.1', 't=0 0'];
  for (const l of lines) {
    out.push(`m=audio ${l.port} RTP/AVP 0`);
    if (l.address) out.push(`c=IN IP4 ${l.address}`);
    out.push('a=rtpmap:0 PCMU/8000', `a=label:${l.label}`, `a=${l.direction ?? 'sendonly'}`);
  }
  return out.join('\r\n') + '\r\n';
}

const TWO = [
  { label: '1', port: 31000 },
  { label: '2', port: 31002 },
];

async function start(extraHeaders: string[] = [], lines = TWO, transport: 'udp' | 'tcp' = 'udp'): Promise<SrcCall> {
  const boundary = `b${rand(4)}`;
  return SrcCall.invite({
    transport,
    host: '127.0.0.1',
    port: app.sipPort,
    headers: ['Require: siprec', ...extraHeaders],
    contentType: `multipart/mixed;boundary=${boundary}`,
    body: multipart(boundary, sdp(lines), rfcMetadata(CALLER, CALLEE, '1', '2')),
  });
}

async function finished(callId: string): Promise<Detail> {
  return waitFor(`interaction ${callId}`, async () => {
    const page = await portal.json<{ items: Detail[] }>(`/api/v1/interactions?callId=${encodeURIComponent(callId)}`);
    return page.items[0]?.status === 'available' ? page.items[0] : null;
  });
}

async function wavOf(id: string) {
  return parseWav(Buffer.from(await (await portal.fetch(`/api/v1/interactions/${id}/media?format=wav`)).arrayBuffer()));
}

test('a re-INVITE moving the SRC ports and adding a stream keeps one continuous recording', async () => {
  const call = await start();
  try {
    assert.equal(call.final.status, 200);
    const before = call.ports();
    await call.tones([{ mline: 0, freq: 440 }, { mline: 1, freq: 1000 }], 1000);
    // New SRC ports (and, by the sender, new SSRCs and source ports), plus a third stream of the caller.
    const re = await call.send('INVITE', { contentType: 'application/sdp', body: sdp([{ label: '1', port: 32000 }, { label: '2', port: 32002 }, { label: '3', port: 32004 }], 2) });
    assert.equal(re.status, 200);
    const after = call.ports(re);
    assert.deepEqual(after.slice(0, 2), before, 'existing streams keep our ports');
    assert.ok(after[2]! > 0, 'the new stream is accepted');
    assert.match(re.body, /^o=sipvault \S+ 2 /m, 'answer version bumped');
    await call.tones([{ mline: 0, freq: 440 }, { mline: 1, freq: 1000 }], 1000, 'PCMU', re);
    assert.equal((await call.bye()).status, 200);
  } finally {
    call.close();
  }
  const it = await finished(call.callId);
  assert.equal(it.streams.length, 3);
  assert.ok(it.events.some((e) => e.kind === 'media-change'));
  const wav = await wavOf(it.id);
  assert.ok(Math.abs(wav.durationSec - 2) < 0.35, `one file spanning the call: ${wav.durationSec}s`);
  for (const at of [0.5, 1.5]) {
    const w = (c: number) => wav.samples[c]!.subarray(at * 8000 - 2000, at * 8000 + 2000);
    assert.equal(dominantFrequency(w(0), 8000), 440, `left at ${at}s`);
    assert.equal(dominantFrequency(w(1), 8000), 1000, `right at ${at}s`);
  }
});

test('pause (a=inactive) and resume are events; the paused time is silence and the session goes on', async () => {
  const call = await start();
  try {
    await call.tones([{ mline: 0, freq: 440 }, { mline: 1, freq: 1000 }], 1000);
    const pause = await call.send('INVITE', { contentType: 'application/sdp', body: sdp(TWO.map((l) => ({ ...l, direction: 'inactive' })), 2) });
    assert.equal(pause.status, 200);
    assert.equal([...pause.body.matchAll(/^a=inactive/gm)].length, 2, 'inactive offered, inactive answered');
    await new Promise((r) => setTimeout(r, 1000));
    // Resume the way BroadWorks pauses and resumes: the null address, then a real one.
    const resume = await call.send('INVITE', { contentType: 'application/sdp', body: sdp(TWO, 3) });
    assert.equal(resume.status, 200);
    await call.tones([{ mline: 0, freq: 440 }, { mline: 1, freq: 1000 }], 1000, 'PCMU', resume);
    const nullPause = await call.send('UPDATE', { contentType: 'application/sdp', body: sdp(TWO.map((l) => ({ ...l, address: '0.0.0.0' })), 4) });
    assert.equal(nullPause.status, 200);
    assert.equal((await call.bye()).status, 200);
  } finally {
    call.close();
  }
  const it = await finished(call.callId);
  assert.deepEqual(it.events.filter((e) => e.kind === 'pause' || e.kind === 'resume').map((e) => e.kind), ['pause', 'resume', 'pause']);
  const pauseAt = it.events.find((e) => e.kind === 'pause')!.offsetMs;
  assert.ok(pauseAt > 800 && pauseAt < 1600, `pause at ${pauseAt} ms`);
  const wav = await wavOf(it.id);
  assert.ok(Math.abs(wav.durationSec - 3) < 0.4, `duration ${wav.durationSec}`);
  const paused = wav.samples[0]!.subarray(1.3 * 8000, 1.8 * 8000);
  assert.equal(rms(paused), 0, 'silence while paused');
  assert.equal(dominantFrequency(wav.samples[0]!.subarray(2.2 * 8000, 2.7 * 8000), 8000), 440, 'audio after resume');
});

test('partial metadata in UPDATE and BYE is merged by id and every version is kept', async () => {
  const call = await start();
  const third = `<?xml version="1.0"?>
<recording xmlns="urn:ietf:params:xml:ns:recording:1">
  <datamode>partial</datamode>
  <participant participant_id="dGhpcmQ="><nameID aor="sip:+15550300@conf.test"><name>Third</name></nameID></participant>
</recording>`;
  const leave = `<?xml version="1.0"?>
<recording xmlns="urn:ietf:params:xml:ns:recording:1">
  <datamode>partial</datamode>
  <participantsessionassoc participant_id="dGhpcmQ=" session_id="c2Vzc2lvbi0x"><disassociate-time>2026-11-24T10:00:00Z</disassociate-time></participantsessionassoc>
</recording>`;
  try {
    const upd = await call.send('UPDATE', { contentType: 'application/rs-metadata+xml', body: third });
    assert.equal(upd.status, 200);
    await call.tones([{ mline: 0, freq: 440 }, { mline: 1, freq: 1000 }], 500);
    assert.equal((await call.bye({ contentType: 'application/rs-metadata', body: leave })).status, 200);
  } finally {
    call.close();
  }
  const it = await finished(call.callId);
  assert.deepEqual(it.participants.map((p) => p.aor).sort(), [CALLEE.aor, CALLER.aor, 'sip:+15550300@conf.test'].sort(), 'the partial added a participant, kept the others');
  assert.equal(it.callingParty, '+15550100');
  const versions = await portal.json<{ items: Array<{ method: string; dataMode: string | null; xml: string }> }>(`/api/v1/interactions/${it.id}/metadata`);
  assert.deepEqual(versions.items.map((v) => [v.method, v.dataMode]), [['INVITE', 'complete'], ['UPDATE', 'partial'], ['BYE', 'partial']]);
  assert.equal(versions.items[2]!.xml, leave);
  assert.ok(it.events.some((e) => e.kind === 'participant-left'));
});

test('session timers: too small gets 422 with Min-SE; negotiated as refresher=uac; refreshes are events', async () => {
  const small = await start(['Session-Expires: 30', 'Supported: timer']);
  try {
    assert.equal(small.final.status, 422);
    assert.equal(header(small.final, 'min-se'), '90');
  } finally {
    small.close();
  }
  const call = await start(['Session-Expires: 1800;refresher=uac', 'Supported: timer']);
  try {
    assert.equal(call.final.status, 200);
    assert.equal(header(call.final, 'session-expires'), '1800;refresher=uac');
    assert.match(header(call.final, 'require') ?? '', /timer/);
    const refresh = await call.send('UPDATE', { headers: ['Session-Expires: 1800;refresher=uac', 'Supported: timer'] });
    assert.equal(refresh.status, 200);
    assert.equal(header(refresh, 'session-expires'), '1800;refresher=uac');
    const reinvite = await call.send('INVITE', { headers: ['Session-Expires: 1800', 'Supported: timer'], contentType: 'application/sdp', body: sdp(TWO, 2) });
    assert.equal(reinvite.status, 200);
    // Some audio: a call without any RTP would end failed ("No RTP received").
    await call.tones([{ mline: 0, freq: 440 }, { mline: 1, freq: 1000 }], 200, 'PCMU', reinvite);
    assert.equal((await call.bye()).status, 200);
  } finally {
    call.close();
  }
  const it = await finished(call.callId);
  assert.equal(it.events.filter((e) => e.kind === 'refresh').length, 2);
});

test('glare and ordering: an UPDATE offer during a re-INVITE gets 491, a second re-INVITE 500, an old CSeq 500', async () => {
  const call = await start([], TWO, 'tcp');
  try {
    assert.equal(call.final.status, 200);
    const c = call.client;
    const base = { uri: call.uri, callId: call.callId, fromTag: call.fromTag, toTag: call.toTag, contentType: 'application/sdp' };
    // The re-INVITE adds a stream (ports are bound asynchronously); the UPDATE and INVITE arrive in the same segment.
    const reinvite = buildRequest(c, { ...base, method: 'INVITE', cseq: 10, body: sdp([...TWO, { label: '3', port: 31004 }], 2) });
    const update = buildRequest(c, { ...base, method: 'UPDATE', cseq: 11, body: sdp(TWO, 3) });
    const second = buildRequest(c, { ...base, method: 'INVITE', cseq: 12, body: sdp(TWO, 3) });
    c.send(reinvite + update + second);
    const byCseq = (n: string) => c.waitFor((r) => r.status >= 200 && header(r, 'cseq') === n);
    assert.equal((await byCseq('10 INVITE')).status, 200);
    assert.equal((await byCseq('11 UPDATE')).status, 491);
    const pending = await byCseq('12 INVITE');
    assert.equal(pending.status, 500);
    assert.ok(header(pending, 'retry-after'));
    c.send(buildRequest(c, { uri: call.uri, callId: call.callId, fromTag: call.fromTag, toTag: call.toTag, method: 'INFO', cseq: 5 }));
    assert.equal((await byCseq('5 INFO')).status, 500);
    c.send(buildRequest(c, { uri: call.uri, callId: call.callId, fromTag: call.fromTag, toTag: call.toTag, method: 'INFO', cseq: 20 }));
    assert.equal((await byCseq('20 INFO')).status, 200);
    c.send(buildRequest(c, { uri: call.uri, callId: call.callId, fromTag: call.fromTag, toTag: call.toTag, method: 'BYE', cseq: 21 }));
    assert.equal((await byCseq('21 BYE')).status, 200);
  } finally {
    call.close();
  }
});

test('graceful shutdown: new INVITEs get 503, a call still up after the grace period gets our BYE and is kept', async () => {
  const own = await startAppliance();
  let stopped: Promise<void> | null = null;
  try {
    const boundary = `b${rand(4)}`;
    const call = await SrcCall.invite({
      transport: 'tcp',
      host: '127.0.0.1',
      port: own.sipPort,
      headers: ['Require: siprec'],
      contentType: `multipart/mixed;boundary=${boundary}`,
      body: multipart(boundary, sdp(TWO), rfcMetadata(CALLER, CALLEE, '1', '2')),
    });
    try {
      assert.equal(call.final.status, 200);
      await call.tones([{ mline: 0, freq: 440 }, { mline: 1, freq: 1000 }], 500);
      stopped = own.stop({ keepData: true });
      await new Promise((r) => setTimeout(r, 500));
      const late = await SrcCall.invite({ transport: 'udp', host: '127.0.0.1', port: own.sipPort, headers: ['Require: siprec'], contentType: 'application/sdp', body: sdp(TWO) });
      assert.equal(late.final.status, 503);
      assert.ok(header(late.final, 'retry-after'));
      late.close();
      // Grace is 2 s in the test config: then the recorder hangs up on the SRC, on the SRC's own connection.
      const bye = await waitFor('a BYE from the recorder', async () => call.client.requests.find((r) => r.method === 'BYE') ?? null, 8000);
      assert.equal(bye.headers.get('call-id')?.[0], call.callId);
      assert.match(bye.headers.get('to')?.[0] ?? '', new RegExp(`tag=${call.fromTag}`));
    } finally {
      call.close();
    }
    await stopped;
    stopped = null;
    const catalog = Catalog.open(own.dataDir);
    try {
      const it = catalog.interactions.list({ callId: call.callId, limit: 1 }, { kind: 'all' }).items[0]!;
      assert.equal(it.status, 'available', 'the interrupted call is finalised, not lost');
      assert.equal(it.releaseCause, 'Normal');
    } finally {
      catalog.close();
    }
  } finally {
    if (stopped) await stopped;
    await own.stop();
  }
});

test('a plain one-m-line SIP-trunk fork with Cisco participant headers: parties from the headers, the mixed leg on both channels', async () => {
  const call = await SrcCall.invite({
    transport: 'udp',
    host: '127.0.0.1',
    port: app.sipPort,
    contactParams: '',
    headers: [
      'X-Cisco-Recording-Participant: "Near End" <sip:+14085550111@cucm.test>;media-index="0"',
      'X-Cisco-Recording-Participant: <sip:+19195550122@pstn.test>;media-index="0"',
    ],
    contentType: 'application/sdp',
    body: sdp([{ label: '1', port: 33000 }]),
  });
  try {
    assert.equal(call.final.status, 200);
    await call.tones([{ mline: 0, freq: 750 }], 1500);
    assert.equal((await call.bye()).status, 200);
  } finally {
    call.close();
  }
  const it = await finished(call.callId);
  assert.equal(it.callingParty, '+14085550111');
  assert.equal(it.calledParty, '+19195550122');
  assert.equal((it as Detail & { partyRule: string }).partyRule, 'Cisco recording participant headers');
  const wav = await wavOf(it.id);
  for (const ch of [0, 1]) assert.equal(dominantFrequency(wav.samples[ch]!.subarray(4000, 10000), 8000), 750, `channel ${ch}`);
});
