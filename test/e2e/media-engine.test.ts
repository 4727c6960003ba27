// The media engine through the real appliance: every codec the mixer decodes, network trouble on
// the RTP legs, DTMF as events, and the quality figures the API reports per stream.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startAppliance, PortalClient, type Appliance } from '../support/appliance.js';
import { SrcCall } from '../support/src-call.js';
import { rand } from '../support/sip-client.js';
import { multipart, rfcMetadata } from '../support/siprec-call.js';
import { dominantFrequency, rms, type Wav } from '../support/audio.js';
import { sendToneStreams, TELEPHONE_EVENT_PT, type ToneStream } from '../support/rtp-sender.js';
import { CODEC_SDP, tonePackets, type TestCodec } from '../support/codec-audio.js';
import { longestSilence } from '../support/mixer-harness.js';
import { storedRecording } from '../support/recording-checks.js';
import type { StreamRecord } from '../../storage/catalog/types.js';

/** A stream as the API returns it: the catalog's stream record, serialised. */
type ApiStream = StreamRecord;
interface Detail {
  id: string;
  status: string;
  streams: ApiStream[];
  events: Array<{ kind: string; offsetMs: number; details: Record<string, unknown> | null }>;
  files: Array<{ format: string; sampleRate: number }>;
}

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

/** Two labelled sendonly m-lines, each offering its codec and telephone-event at the codec's clock. */
function sdp(codecs: [TestCodec, TestCodec]): string {
  const out = ['v=0', `o=SRC ${rand(4)} 1 IN IP4 127.0.0.1`, 's=-', 'c=IN IP4 127.0.0.1', 't=0 0'];
  codecs.forEach((c, i) => {
    const { pt, rtpmap, clock } = CODEC_SDP[c];
    out.push(`m=audio ${31000 + 2 * i} RTP/AVP ${pt} ${TELEPHONE_EVENT_PT}`, `a=rtpmap:${pt} ${rtpmap}`, `a=rtpmap:${TELEPHONE_EVENT_PT} telephone-event/${clock}`, `a=fmtp:${TELEPHONE_EVENT_PT} 0-15`, `a=label:${i + 1}`, 'a=sendonly');
  });
  return out.join('\r\n') + '\r\n';
}

/** Places a call, sends the two legs (caller on m-line 0), hangs up; returns the stored interaction and its WAV. */
async function record(codecs: [TestCodec, TestCodec], legs: [Partial<ToneStream>, Partial<ToneStream>], durationMs: number): Promise<{ it: Detail; wav: Wav }> {
  // Encode first: the recording starts at the INVITE, the audio must follow at once.
  tonePackets(codecs[0], legs[0].freq ?? CALLER.freq, durationMs / 20);
  tonePackets(codecs[1], legs[1].freq ?? CALLEE.freq, durationMs / 20);
  const boundary = `b${rand(4)}`;
  const call = await SrcCall.invite({
    transport: 'udp',
    host: '127.0.0.1',
    port: app.sipPort,
    headers: ['Require: siprec'],
    contentType: `multipart/mixed;boundary=${boundary}`,
    body: multipart(boundary, sdp(codecs), rfcMetadata(CALLER, CALLEE, '1', '2')),
  });
  try {
    assert.equal(call.final.status, 200);
    const ports = call.ports();
    assert.ok(ports[0]! > 0 && ports[1]! > 0, 'both m-lines accepted');
    codecs.forEach((c, i) => assert.match(call.final.body, new RegExp(`a=rtpmap:${CODEC_SDP[c].pt} ${CODEC_SDP[c].rtpmap.replace('/', '\\/')}`, 'i'), `${c} answered`));
    await sendToneStreams(
      [
        { host: '127.0.0.1', port: ports[0]!, freq: CALLER.freq, codec: codecs[0], ...legs[0] },
        { host: '127.0.0.1', port: ports[1]!, freq: CALLEE.freq, codec: codecs[1], ...legs[1] },
      ],
      durationMs,
    );
    assert.equal((await call.bye()).status, 200);
  } finally {
    call.close();
  }
  return storedRecording<Detail>(portal, call.callId);
}

const window = (wav: Wav, ch: number, fromSec: number, toSec: number) => wav.samples[ch]!.subarray(Math.round(fromSec * wav.sampleRate), Math.round(toSec * wav.sampleRate));

test('loss, reordering, duplicates, an SSRC change and a timestamp jump: continuous audio and the right stream statistics', async () => {
  const impaired = { drop: [20, 21, 80, 150], reorder: [40, 110], duplicate: [60, 130], ssrcChangeAt: 100, tsJumpAt: 170 };
  const { it, wav } = await record(['PCMU', 'PCMU'], [{ impair: impaired }, {}], 4000);
  assert.equal(wav.sampleRate, 8000);
  assert.ok(Math.abs(wav.durationSec - 4) < 0.35, `duration ${wav.durationSec}`);
  const caller = it.streams.find((s) => s.label === '1')!;
  const callee = it.streams.find((s) => s.label === '2')!;
  assert.deepEqual(
    { packets: caller.packets, expected: caller.expected, lost: caller.lost, duplicates: caller.duplicates, reordered: caller.reordered, late: caller.late, lossRate: caller.lossRate },
    { packets: 196, expected: 200, lost: 4, duplicates: 2, reordered: 2, late: 0, lossRate: 0.02 },
  );
  assert.ok(caller.concealedMs >= 75 && caller.concealedMs <= 95, `four lost packets concealed: ${caller.concealedMs} ms`);
  assert.ok(caller.maxLossRate20s >= 0.02, 'the only (partial) window has the loss');
  assert.ok(caller.estMos !== null && caller.estMos < callee.estMos! && caller.estMos > 3.5, `MOS ${caller.estMos} vs ${callee.estMos}`);
  assert.deepEqual({ lost: callee.lost, duplicates: callee.duplicates, reordered: callee.reordered, late: callee.late }, { lost: 0, duplicates: 0, reordered: 0, late: 0 });
  // A clean leg conceals nothing but the odd sample bridged when its timing is aligned with the wall clock.
  assert.ok(callee.concealedMs <= 10, `clean leg concealed ${callee.concealedMs} ms`);
  assert.equal(callee.packets, 200);
  // The caller's audio runs on through the trouble: no silence inside it, the tone everywhere.
  const start = wav.samples[0]!.findIndex((v) => v !== 0);
  const left = wav.samples[0]!.subarray(start, start + 3.9 * 8000);
  assert.ok(longestSilence(left) < 16, `longest silence ${longestSilence(left)} samples`);
  // Windows clear of the concealed packets, across the reordering (0.8 s), the SSRC change (2.0 s) and the jump (3.4 s).
  const t0 = start / 8000;
  for (const at of [0.1, 0.7, 1.9, 2.4, 3.3, 3.6]) {
    const f = dominantFrequency(window(wav, 0, t0 + at, t0 + at + 0.25), 8000);
    assert.ok(Math.abs(f - 440) <= 10, `left at ${at}s: ${f} Hz`);
  }
  assert.equal(dominantFrequency(window(wav, 1, 1, 3), 8000), 1000);
});

for (const [name, codecs] of [
  ['a G.722', ['G722', 'G722']],
  ['an Opus', ['OPUS', 'OPUS']],
  ['an L16 (16 kHz caller, 8 kHz callee: the narrowband leg is converted up)', ['L16/16000', 'L16/8000']],
] as Array<[string, [TestCodec, TestCodec]]>) {
  test(`${name} call is a 16 kHz stereo WAV with each party's tone on its side`, async () => {
    // 5 kHz on the caller's side proves the file is really wideband.
    const { it, wav } = await record(codecs, [{ freq: 5000 }, { freq: codecs[1] === 'L16/8000' ? 1000 : 700 }], 2000);
    assert.equal(wav.sampleRate, 16000);
    assert.equal(wav.channels, 2);
    assert.equal(it.files.find((f) => f.format === 'wav')?.sampleRate, 16000);
    assert.ok(Math.abs(wav.durationSec - 2) < 0.35, `duration ${wav.durationSec}`);
    assert.deepEqual(it.streams.map((s) => s.codec).sort(), codecs.map((c) => c.split('/')[0]).sort());
    assert.equal(dominantFrequency(window(wav, 0, 0.6, 1.4), 16000), 5000, 'left = caller');
    assert.equal(dominantFrequency(window(wav, 1, 0.6, 1.4), 16000), codecs[1] === 'L16/8000' ? 1000 : 700, 'right = callee');
    assert.ok(rms(window(wav, 0, 0.6, 1.4)) > 2000 && rms(window(wav, 1, 0.6, 1.4)) > 2000);
    for (const s of it.streams) {
      assert.deepEqual([s.lost, s.late], [0, 0], `${s.codec} clean`);
      assert.ok(s.concealedMs <= 10, `${s.codec} concealed ${s.concealedMs} ms`);
    }
  });
}

test('DTMF (RFC 4733) is an event with the digit, its time and duration, and never audio', async () => {
  const keys = [
    { atMs: 600, event: 5, durationMs: 200 },
    { atMs: 1200, event: 11, durationMs: 100 },
  ];
  const { it, wav } = await record(['PCMU', 'PCMU'], [{ dtmf: keys }, {}], 2000);
  const dtmf = it.events.filter((e) => e.kind === 'dtmf');
  assert.deepEqual(
    dtmf.map((e) => e.details),
    [
      { digit: '5', durationMs: 200, label: '1' },
      { digit: '#', durationMs: 100, label: '1' },
    ],
  );
  // The interaction starts at the INVITE; the media a few ms later: offsets within 150 ms.
  assert.ok(Math.abs(dtmf[0]!.offsetMs - 600) < 150 && Math.abs(dtmf[1]!.offsetMs - 1200) < 150, `offsets ${dtmf.map((e) => e.offsetMs)}`);
  const caller = it.streams.find((s) => s.label === '1')!;
  assert.equal(caller.lost, 0, 'event packets are not loss');
  assert.ok(caller.concealedMs <= 10, `the key presses are not concealed as loss (${caller.concealedMs} ms)`);
  const start = wav.samples[0]!.findIndex((v) => v !== 0) / 8000;
  assert.equal(rms(window(wav, 0, start + 0.62, start + 0.78)), 0, 'the key press is silence, not a tone');
  assert.equal(dominantFrequency(window(wav, 0, start + 0.85, start + 1.15), 8000), 440, 'audio around it');
  assert.equal(dominantFrequency(window(wav, 1, start + 0.62, start + 0.78), 8000), 1000, 'the other side unaffected');
});
