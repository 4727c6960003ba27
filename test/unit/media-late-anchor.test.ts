// A stream's first packet handled late (our event loop was busy while it and the next ones queued
// in the socket) must not make the clock "correct" the rest of the stream, i.e. play it fast,
// while a sender clock that really runs fast or slow is still followed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ULAW_TABLE } from '../../recorder/media/g711.js';
import { dominantFrequency, tonePayload } from '../support/audio.js';
import { MixerHarness, longestSilence, rtpPacket } from '../support/mixer-harness.js';

const RATE = 8000;
const FREQ = 440;
/** The sender's first packet reaches the socket 100 ms into the session, 1 ms after its time. */
const START = 800;
const DELAY = 8;
/** The event loop is busy for the first 80 ms of the stream: its packets are handled at the end of that. */
const BUSY = 640;

const payload = (n: number) => tonePayload(FREQ, RATE, n * 160, 160, 'PCMU');

/**
 * `seconds` of 20 ms packets from a sender whose clock runs `skew` fast; each reaches the socket
 * DELAY after its time, and those reaching it during the first BUSY samples are handled at its end.
 */
function run(seconds: number, skew: number, busy: number) {
  const h = new MixerHarness(RATE);
  const s = h.stream();
  const packets = Math.round(seconds * 50 * (1 + skew));
  const placed: Array<{ n: number; pos: number; reached: number }> = [];
  let reached = 0;
  for (let n = 0; n < packets; n++) {
    reached = START + Math.round((n * 160) / (1 + skew)) + DELAY;
    const handled = Math.max(reached, START + DELAY + busy);
    h.deliver(s, rtpPacket({ seq: 100 + n, ts: 5000 + n * 160, ssrc: 77, pt: 0, payload: payload(n) }), handled);
    placed.push({ n, pos: s.arrivalEnd - 160, reached });
  }
  const end = reached + 160;
  const wav = h.close(end);
  h.dispose();
  return { wav, st: s.stats(), driftCorrection: s.driftCorrection, placed, end, packets };
}

test('first packet handled 80 ms late, the rest on time: no drift correction, every packet where its timestamp says, audio at its pitch and length', () => {
  const { wav, st, driftCorrection, placed, end, packets } = run(10, 0, BUSY);
  // Before the fix the clock walked the 640 samples back at 2 per packet: 1.25 % fast for 6.4 s.
  assert.ok(Math.abs(driftCorrection) <= 2, `drift correction ${driftCorrection} samples`);
  assert.equal(st.late, 0);
  assert.equal(st.lost, 0);
  assert.equal(st.reanchors, 0);
  // From the first packet handled on time on, each sits where the timestamps put it relative to
  // the on-time packets: where it reached the socket.
  for (const p of placed.slice(5)) assert.equal(p.pos, p.reached, `packet ${p.n} at ${p.pos}, reached the socket at ${p.reached}`);
  const left = wav.samples[0]!;
  const first = START + DELAY;
  assert.equal(left.length, end);
  // The stream starts where its first packet belongs, not where it was handled ...
  assert.equal(longestSilence(left, 0, first), first, 'silence before the stream');
  assert.notEqual(left[first + 2], 0, 'the first packet at its place');
  // ... and every sample of every packet is there, in order, once: exactly the sent audio.
  let mismatches = 0;
  for (let n = 0; n < packets; n++) {
    const p = payload(n);
    for (let i = 0; i < 160; i++) if (left[first + n * 160 + i] !== ULAW_TABLE[p[i]!]) mismatches++;
  }
  assert.equal(mismatches, 0, `${mismatches} samples differ from what was sent`);
  assert.equal(dominantFrequency(left.subarray(first + RATE, first + 3 * RATE), RATE), FREQ, 'pitch in the seconds a walk-back would take');
});

test('a first packet handled late on a sender whose clock is 0.5 % fast or slow: the drift is still corrected, the late anchor is not', () => {
  for (const skew of [0.005, -0.005]) {
    const { wav, st, driftCorrection, placed, end } = run(10, skew, BUSY);
    // Over 10 s the sender's clock gains (or loses) 400 samples; everything beyond the 20 ms dead
    // band is corrected, and in the sender's direction (a fast one loses samples).
    assert.ok(Math.sign(driftCorrection) === -Math.sign(skew), `${skew}: correction ${driftCorrection} in the sender's direction`);
    assert.ok(Math.abs(driftCorrection) >= 200 && Math.abs(driftCorrection) <= 420, `${skew}: corrected ${driftCorrection} samples`);
    const last = placed[placed.length - 1]!;
    assert.ok(Math.abs(last.pos - last.reached) <= 200, `${skew}: last packet ${last.pos - last.reached} samples from its arrival`);
    const worst = Math.max(...placed.slice(5).map((p) => Math.abs(p.pos - p.reached)));
    assert.ok(worst <= 240, `${skew}: at most ${worst} samples from the wall clock`);
    assert.equal(st.late, 0);
    const left = wav.samples[0]!;
    // The file ends at the end of the call or of the stream's audio, when that is later.
    assert.equal(left.length, Math.max(end, last.pos + 160));
    assert.ok(longestSilence(left, START + DELAY + 200, end - 200) < 4, `${skew}: continuous`);
  }
});
