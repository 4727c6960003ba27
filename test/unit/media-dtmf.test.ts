// RFC 4733 telephone-events become one timed event per key press and never audio.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tonePayload, rms, dominantFrequency } from '../support/audio.js';
import { MixerHarness, rtpPacket, telephoneEvent } from '../support/mixer-harness.js';
import { DtmfDetector, dtmfDigit } from '../../recorder/media/dtmf.js';

test('a key press is one event at its start, with its duration, despite end-packet retransmissions; its time is silence', () => {
  const h = new MixerHarness(8000);
  try {
    const s = h.stream({ label: 'caller', eventPayloadType: 101 });
    let seq = 500;
    const audio = (n: number) => h.deliver(s, rtpPacket({ seq: seq++, ts: 1000 + n * 160, ssrc: 4, pt: 0, payload: tonePayload(440, 8000, n * 160, 160, 'PCMU') }), n * 160 + 12);
    for (let n = 0; n < 50; n++) audio(n);
    // Digit 7 starting at packet 50 (1 s), 120 ms long: 5 updates, then the end packet three times.
    const start = 1000 + 50 * 160;
    for (let k = 1; k <= 5; k++) h.deliver(s, rtpPacket({ seq: seq++, ts: start, ssrc: 4, pt: 101, payload: telephoneEvent(7, false, k * 160), marker: k === 1 }), (49 + k) * 160 + 12);
    for (let r = 0; r < 3; r++) h.deliver(s, rtpPacket({ seq: seq++, ts: start, ssrc: 4, pt: 101, payload: telephoneEvent(7, true, 960) }), (55 + r) * 160 + 12);
    // The first end packet again with its own sequence number (a duplicate of the same datagram is dropped earlier).
    for (let n = 58; n < 100; n++) audio(n);
    // '#', whose end packets are all lost: reported when the stream ends.
    const hashStart = 1000 + 100 * 160;
    for (let k = 1; k <= 4; k++) h.deliver(s, rtpPacket({ seq: seq++, ts: hashStart, ssrc: 4, pt: 101, payload: telephoneEvent(11, false, k * 160) }), (99 + k) * 160 + 12);
    const wav = h.close(110 * 160);
    assert.deepEqual(
      h.events.map((e) => ({ digit: e.digit, durationMs: e.durationMs, label: e.label })),
      [
        { digit: '7', durationMs: 120, label: 'caller' },
        { digit: '#', durationMs: 80, label: 'caller' },
      ],
    );
    // The stream was anchored at its first packet's arrival (12 samples in).
    assert.equal(h.events[0]!.pos, 50 * 160 + 12, 'at its start (1 s into the stream)');
    assert.equal(h.events[1]!.pos, 100 * 160 + 12);
    assert.equal(s.stats().events, 2);
    assert.equal(s.stats().lost, 0, 'event packets are packets, not loss');
    const left = wav.samples[0]!;
    assert.equal(rms(left.subarray(50 * 160 + 12, 58 * 160)), 0, 'the key press is not audio: silence');
    assert.equal(dominantFrequency(left.subarray(60 * 160, 90 * 160), 8000), 440, 'audio resumes');
    assert.equal(s.stats().concealedMs, 0, 'the key press is not concealed as loss');
  } finally {
    h.dispose();
  }
});

test('DTMF detector: digits, straggler packets of an earlier event, non-DTMF events', () => {
  const got: Array<[number, string, number]> = [];
  const d = new DtmfDetector((ts, digit, dur) => got.push([ts, digit, dur]));
  const p = (e: number, end: boolean, dur: number) => Buffer.from([e, end ? 0x80 : 0, dur >> 8, dur & 0xff]);
  d.onPacket(100, p(1, false, 160), 0, 4);
  d.onPacket(100, p(1, true, 400), 0, 4);
  d.onPacket(900, p(10, false, 160), 0, 4); // '*' starts
  d.onPacket(100, p(1, true, 400), 0, 4); // late retransmission of the first end
  d.onPacket(900, p(10, true, 320), 0, 4);
  d.onPacket(2000, p(70, true, 800), 0, 4); // a non-DTMF named event (not reported)
  d.finish();
  assert.deepEqual(got, [
    [100, '1', 400],
    [900, '*', 320],
  ]);
  assert.deepEqual([dtmfDigit(11), dtmfDigit(15), dtmfDigit(16), dtmfDigit(17)], ['#', 'D', 'flash', null]);
});
