// `media.relay: rtpengine` with a real rtpengine daemon: the SRC's media goes to rtpengine, which
// decrypts SDES-SRTP, transcodes codecs the mixer does not decode, and forks plain RTP to the
// mixer. Checked by tone frequency per channel and duration, and by asking rtpengine itself.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startAppliance, PortalClient, waitFor, type Appliance } from '../support/appliance.js';
import { startRtpengine, type RtpengineDaemon } from '../support/rtpengine.js';
import { SrcCall } from '../support/src-call.js';
import { rand } from '../support/sip-client.js';
import { multipart, rfcMetadata } from '../support/siprec-call.js';
import { dominantFrequency, rms, type Wav } from '../support/audio.js';
import { sendToneStreams, TELEPHONE_EVENT_PT } from '../support/rtp-sender.js';
import { CODEC_SDP, tonePackets, type TestCodec } from '../support/codec-audio.js';
import { storedRecording } from '../support/recording-checks.js';
import { NgRequestError } from '../../recorder/media/rtpengine/ng-client.js';

interface Detail {
  id: string;
  status: string;
  durationMs: number;
  streams: Array<{ label: string; codec: string | null; packets: number; lost: number }>;
}
interface ApiAlarm {
  name: string;
  source: string;
  state: string;
  severity: string;
  text: string;
}

const CALLER = { aor: 'sip:+15550100@sbc.test', name: 'Caller', freq: 440 };
const CALLEE = { aor: 'sip:+15550200@pbx.test', name: 'Callee', freq: 1000 };

let rtpengine: RtpengineDaemon;
let app: Appliance;
let portal: PortalClient;
before(async () => {
  rtpengine = await startRtpengine();
  app = await startAppliance({ media: { relay: 'rtpengine', rtpengine: { ng: `127.0.0.1:${rtpengine.ngPort}`, timeoutMs: 300, pingSeconds: 1 } } });
  portal = await PortalClient.login(app.portalUrl);
});
after(async () => {
  await app?.stop();
  await rtpengine?.stop();
});

type Crypto = { key: Buffer; salt: Buffer };

/** Two labelled sendonly m-lines in `codec` (plus telephone-event); RTP/SAVP with SDES keys when given. */
function offerSdp(codec: TestCodec, crypto: [Crypto, Crypto] | null, version = 1): string {
  const { pt, rtpmap, clock } = CODEC_SDP[codec];
  const out = ['v=0', `o=SRC 4242 ${version} IN IP4 127.0.0.1`, 's=-', 'c=IN IP4 127.0.0.1', 't=0 0'];
  for (let i = 0; i < 2; i++) {
    out.push(`m=audio ${31000 + 2 * i} ${crypto ? 'RTP/SAVP' : 'RTP/AVP'} ${pt} ${TELEPHONE_EVENT_PT}`, `a=rtpmap:${pt} ${rtpmap}`, `a=rtpmap:${TELEPHONE_EVENT_PT} telephone-event/${clock}`);
    if (crypto) out.push(`a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${Buffer.concat([crypto[i]!.key, crypto[i]!.salt]).toString('base64')}`);
    out.push(`a=label:${i + 1}`, 'a=sendonly');
  }
  return out.join('\r\n') + '\r\n';
}

function newKeys(): [Crypto, Crypto] {
  return [
    { key: randomBytes(16), salt: randomBytes(14) },
    { key: randomBytes(16), salt: randomBytes(14) },
  ];
}

async function invite(codec: TestCodec, crypto: [Crypto, Crypto] | null): Promise<SrcCall> {
  const boundary = `b${rand(4)}`;
  return SrcCall.invite({
    transport: 'udp',
    host: '127.0.0.1',
    port: app.sipPort,
    headers: ['Require: siprec'],
    contentType: `multipart/mixed;boundary=${boundary}`,
    body: multipart(boundary, offerSdp(codec, crypto), rfcMetadata(CALLER, CALLEE, '1', '2')),
  });
}

/** The answer must send the SRC to rtpengine, never to the mixer's own ports. */
function assertRtpengineAnswer(body: string, ports: number[]): void {
  assert.match(body, /^c=IN IP4 127\.0\.0\.1/m);
  for (const p of ports) assert.ok(p >= rtpengine.portMin && p <= rtpengine.portMax, `port ${p} is rtpengine's (${rtpengine.portMin}-${rtpengine.portMax})`);
}

const window = (wav: Wav, ch: number, fromSec: number, toSec: number) => wav.samples[ch]!.subarray(Math.round(fromSec * wav.sampleRate), Math.round(toSec * wav.sampleRate));

function assertTones(wav: Wav, fromSec: number, toSec: number, leftHz: number, rightHz: number): void {
  assert.equal(dominantFrequency(window(wav, 0, fromSec, toSec), wav.sampleRate), leftHz, `left ${fromSec}-${toSec}s`);
  assert.equal(dominantFrequency(window(wav, 1, fromSec, toSec), wav.sampleRate), rightHz, `right ${fromSec}-${toSec}s`);
  assert.ok(rms(window(wav, 0, fromSec, toSec)) > 500 && rms(window(wav, 1, fromSec, toSec)) > 500, 'both channels carry audio');
}

/** rtpengine forgets a call it was told to delete: its query then fails. */
async function assertDeletedInRtpengine(callId: string): Promise<void> {
  await waitFor(`rtpengine deleted ${callId}`, async () => {
    try {
      await rtpengine.ng.query(callId);
      return false;
    } catch (err) {
      return err instanceof NgRequestError;
    }
  }, 5000);
}

async function recordCall(codec: TestCodec, crypto: [Crypto, Crypto] | null, durationMs: number): Promise<{ call: SrcCall; it: Detail; wav: Wav }> {
  tonePackets(codec, CALLER.freq, durationMs / 20);
  tonePackets(codec, CALLEE.freq, durationMs / 20);
  const call = await invite(codec, crypto);
  try {
    assert.equal(call.final.status, 200, `${call.final.status} ${call.final.reason}`);
    const ports = call.ports();
    assertRtpengineAnswer(call.final.body, ports);
    // During the call rtpengine holds it, under the SIP Call-ID.
    await rtpengine.ng.query(call.callId);
    await sendToneStreams(
      [
        { host: '127.0.0.1', port: ports[0]!, freq: CALLER.freq, codec, ...(crypto ? { srtp: crypto[0] } : {}) },
        { host: '127.0.0.1', port: ports[1]!, freq: CALLEE.freq, codec, ...(crypto ? { srtp: crypto[1] } : {}) },
      ],
      durationMs,
    );
    assert.equal((await call.bye()).status, 200);
  } finally {
    call.close();
  }
  await assertDeletedInRtpengine(call.callId);
  return { call, ...(await storedRecording<Detail>(portal, call.callId)) };
}

test('plain RTP through rtpengine: the SRC sends to rtpengine, the mixer records both legs, rtpengine deletes the call', async () => {
  const { call, it, wav } = await recordCall('PCMU', null, 2000);
  assert.doesNotMatch(call.final.body, /RTP\/SAVP|a=crypto|a=candidate/);
  assert.ok(Math.abs(wav.durationSec - 2) < 0.3, `duration ${wav.durationSec}`);
  assertTones(wav, 0.5, 1.5, CALLER.freq, CALLEE.freq);
  assert.deepEqual(it.streams.map((s) => s.codec).sort(), ['PCMU', 'PCMU']);
  assert.ok(it.streams.every((s) => s.packets >= 95 && s.lost === 0), JSON.stringify(it.streams));
});

test('SDES-SRTP: rtpengine answers RTP/SAVP with its own keys, decrypts, and the mixer records plain audio', async () => {
  const { call, wav } = await recordCall('PCMU', newKeys(), 2000);
  const body = call.final.body;
  assert.equal([...body.matchAll(/^m=audio \d+ RTP\/SAVP /gm)].length, 2, `both m-lines RTP/SAVP:\n${body}`);
  const keys = [...body.matchAll(/^a=crypto:\d+ AES_CM_128_HMAC_SHA1_80 inline:(\S+)/gm)].map((m) => m[1]);
  assert.equal(keys.length, 2, 'one SDES key per m-line');
  assert.ok(Math.abs(wav.durationSec - 2) < 0.3, `duration ${wav.durationSec}`);
  // Garbage (undecrypted SRTP played as PCMU) would have no clean tone.
  assertTones(wav, 0.5, 1.5, CALLER.freq, CALLEE.freq);
});

test('a codec the mixer does not decode (GSM from ffmpeg libgsm) is transcoded by rtpengine', async () => {
  const { call, it, wav } = await recordCall('GSM', null, 2000);
  // The SRC keeps its codec; the mixer got PCMU from rtpengine.
  assert.match(call.final.body, /^m=audio \d+ RTP\/AVP 3[ \r]/m);
  assert.match(call.final.body, /a=rtpmap:3 GSM\/8000/);
  assert.deepEqual(it.streams.map((s) => s.codec).sort(), ['PCMU', 'PCMU']);
  assert.ok(Math.abs(wav.durationSec - 2) < 0.3, `duration ${wav.durationSec}`);
  assertTones(wav, 0.5, 1.5, CALLER.freq, CALLEE.freq);
});

test('a re-INVITE with a new offer updates rtpengine: a codec change mid-call is recorded seamlessly', async () => {
  const second = { left: 660, right: 1500 };
  tonePackets('PCMU', CALLER.freq, 75);
  tonePackets('PCMU', CALLEE.freq, 75);
  tonePackets('PCMA', second.left, 75);
  tonePackets('PCMA', second.right, 75);
  const call = await invite('PCMU', null);
  try {
    assert.equal(call.final.status, 200);
    let ports = call.ports();
    await sendToneStreams(
      [
        { host: '127.0.0.1', port: ports[0]!, freq: CALLER.freq, codec: 'PCMU' },
        { host: '127.0.0.1', port: ports[1]!, freq: CALLEE.freq, codec: 'PCMU' },
      ],
      1500,
    );
    const reinvite = await call.send('INVITE', { contentType: 'application/sdp', body: offerSdp('PCMA', null, 2) });
    assert.equal(reinvite.status, 200);
    ports = call.ports(reinvite);
    assertRtpengineAnswer(reinvite.body, ports);
    assert.match(reinvite.body, /a=rtpmap:8 PCMA\/8000/, 'rtpengine answers the SRC in its new codec');
    await sendToneStreams(
      [
        { host: '127.0.0.1', port: ports[0]!, freq: second.left, codec: 'PCMA' },
        { host: '127.0.0.1', port: ports[1]!, freq: second.right, codec: 'PCMA' },
      ],
      1500,
    );
    assert.equal((await call.bye()).status, 200);
  } finally {
    call.close();
  }
  await assertDeletedInRtpengine(call.callId);
  const { wav } = await storedRecording<Detail>(portal, call.callId);
  assert.ok(Math.abs(wav.durationSec - 3) < 0.4, `duration ${wav.durationSec}`);
  assertTones(wav, 0.4, 1.2, CALLER.freq, CALLEE.freq);
  assertTones(wav, wav.durationSec - 1.2, wav.durationSec - 0.4, second.left, second.right);
});

test('rtpengine down: ConnectionFailed on MediaEngine and 503 to new INVITEs; back up: cleared and recording again', async () => {
  const activeAlarm = async () => {
    const { items } = await portal.json<{ items: ApiAlarm[] }>('/api/v1/alarms');
    return items.find((a) => a.name === 'ConnectionFailed' && a.source.endsWith('/MediaEngine') && a.state === 'active') ?? null;
  };
  assert.equal(await activeAlarm(), null, 'no alarm while rtpengine runs');
  const { ngPort, portMin } = rtpengine;
  await rtpengine.stop();
  const alarm = await waitFor('MediaEngine alarm', activeAlarm, 10_000);
  assert.equal(alarm.source, 'sipvault/MediaEngine');
  assert.equal(alarm.severity, 'critical');
  assert.match(alarm.text, /Connection To Media Engine rtpengine 127\.0\.0\.1:\d+ Lost/);
  const refused = await invite('PCMU', null);
  refused.close();
  assert.equal(refused.final.status, 503);
  assert.match(refused.final.reason, /Media Relay/);

  rtpengine = await startRtpengine({ ngPort, portMin });
  await waitFor('MediaEngine alarm cleared', async () => ((await activeAlarm()) === null ? true : null), 10_000);
  const { wav } = await recordCall('PCMU', null, 1000);
  assertTones(wav, 0.3, 0.8, CALLER.freq, CALLEE.freq);
});
