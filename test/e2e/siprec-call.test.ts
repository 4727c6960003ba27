// End to end: the real appliance process records a SIPREC call placed over the wire, and an
// admin finds and downloads it through the portal API.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startAppliance, PortalClient, type Appliance } from '../support/appliance.js';
import { placeSiprecCall } from '../support/siprec-call.js';
import { dominantFrequency, parseWav, rms } from '../support/audio.js';
import { checkStereoTones, recordedCall, type ApiInteraction } from '../support/recording-checks.js';

let app: Appliance;
before(async () => {
  app = await startAppliance();
});
after(async () => {
  await app?.stop();
});

test('a SIPREC call over UDP is recorded as a stereo WAV: caller LEFT, callee RIGHT, found by calling party', async () => {
  const call = await placeSiprecCall({
    transport: 'udp',
    host: '127.0.0.1',
    port: app.sipPort,
    caller: { aor: 'sip:+15551000@sbc.example.com', name: 'Alice Caller', freq: 440 },
    callee: { aor: 'sip:+15552000@pbx.example.com', name: 'Bob Callee', freq: 1000 },
    durationMs: 3000,
    callerMline: 1, // the caller's stream is the SECOND m-line: channels must follow the metadata
  });
  assert.equal(call.answerStatus, 200);
  assert.equal(call.byeStatus, 200);
  // The answer: a single SDP, our own o= line, two m-lines in offer order, recvonly, labels echoed, one codec each.
  assert.match(call.answer, /^o=sipvault /m);
  const mlines = [...call.answer.matchAll(/^m=audio \d+ RTP\/AVP (.+)$/gm)].map((m) => m[1]);
  assert.deepEqual(mlines, ['0 101', '0 101']);
  assert.deepEqual([...call.answer.matchAll(/^a=label:(\S+)/gm)].map((m) => m[1]), ['1', '2']);
  assert.equal([...call.answer.matchAll(/^a=recvonly/gm)].length, 2);

  const portal = await PortalClient.login(app.portalUrl);
  const interaction = await recordedCall(portal, '+15551000', call.callId);
  assert.equal(interaction.callingParty, '+15551000');
  assert.equal(interaction.calledParty, '+15552000');
  assert.equal(interaction.streams.length, 2);
  // The caller's stream (label 2, second m-line) is on the LEFT and stays linked to its participant.
  const left = interaction.streams.find((s) => s.channel === 0)!;
  assert.equal(left.label, '2');
  assert.equal(left.participantId, 'cGFydC1h');
  for (const s of interaction.streams) {
    assert.equal(s.codec, 'PCMU');
    assert.ok(s.packets >= 145, `stream ${s.label} received ${s.packets} packets`);
    assert.equal(s.lost, 0);
  }

  const detail = await portal.json<ApiInteraction>(`/api/v1/interactions/${interaction.id}`);
  assert.equal(detail.callId, call.callId);

  const res = await portal.fetch(`/api/v1/interactions/${interaction.id}/media?format=wav`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'audio/wav');
  const wavBytes = Buffer.from(await res.arrayBuffer());
  checkStereoTones(parseWav(wavBytes), 3, 440, 1000);

  // HTTP Range: the player seeks without downloading the whole file.
  const ranged = await portal.fetch(`/api/v1/interactions/${interaction.id}/media?format=wav`, { headers: { range: 'bytes=44-1043' } });
  assert.equal(ranged.status, 206);
  assert.equal(ranged.headers.get('content-range'), `bytes 44-1043/${wavBytes.length}`);
  assert.deepEqual(Buffer.from(await ranged.arrayBuffer()), wavBytes.subarray(44, 1044));
});

test('a SIPREC call over TCP with PCMA is recorded the same way', async () => {
  const call = await placeSiprecCall({
    transport: 'tcp',
    host: '127.0.0.1',
    port: app.sipPort,
    caller: { aor: '+15553000@sbc.example.com', name: 'Carol', freq: 600 }, // AoR without scheme (AudioCodes style)
    callee: { aor: 'sip:+15554000@pbx.example.com', name: 'Dan', freq: 1500 },
    durationMs: 2000,
    codec: 'PCMA',
  });
  assert.equal(call.answerStatus, 200);
  assert.equal(call.byeStatus, 200);
  const portal = await PortalClient.login(app.portalUrl);
  const interaction = await recordedCall(portal, '+15553000', call.callId);
  assert.equal(interaction.streams[0]!.codec, 'PCMA');
  const res = await portal.fetch(`/api/v1/interactions/${interaction.id}/media?format=wav`);
  checkStereoTones(parseWav(Buffer.from(await res.arrayBuffer())), 2, 600, 1500);
});

test('a leg that sends no RTP is silence for the whole call, the other leg is intact', async () => {
  const call = await placeSiprecCall({
    transport: 'udp',
    host: '127.0.0.1',
    port: app.sipPort,
    caller: { aor: 'sip:+15556000@sbc.example.com', name: 'Erin', freq: 800 },
    callee: { aor: 'sip:+15556001@pbx.example.com', name: 'Muted', freq: 0 },
    durationMs: 2000,
  });
  assert.equal(call.answerStatus, 200);
  const portal = await PortalClient.login(app.portalUrl);
  const interaction = await recordedCall(portal, '+15556000', call.callId);
  const right = interaction.streams.find((s) => s.channel === 1)!;
  assert.equal(right.packets, 0);
  const wav = parseWav(Buffer.from(await (await portal.fetch(`/api/v1/interactions/${interaction.id}/media?format=wav`)).arrayBuffer()));
  assert.equal(wav.channels, 2);
  assert.ok(Math.abs(wav.durationSec - 2) <= 0.2, `duration ${wav.durationSec}`);
  assert.ok(wav.samples[1]!.every((v) => v === 0), 'the silent leg is digital silence from start to end');
  assert.equal(dominantFrequency(wav.samples[0]!.subarray(4000, 12000), 8000), 800);
  assert.ok(rms(wav.samples[0]!.subarray(4000, 12000)) > 1000);
});
