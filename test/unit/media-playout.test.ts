// The jitter buffer, loss concealment, comfort noise, clock drift and sample-rate conversion,
// with crafted packets through the real RtpStream, StereoTimeline and WAV writer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { linearToUlaw } from '../../recorder/media/g711.js';
import { dominantFrequency, rms, tonePayload } from '../support/audio.js';
import { MixerHarness, longestSilence, rtpPacket } from '../support/mixer-harness.js';
import { tonePackets } from '../support/codec-audio.js';

/** Deterministic 0..max arrival jitter per packet. */
const jitter = (n: number, max: number) => ((n * 7919) % 97) / 97 * max;

test('loss, reordering, duplicates, an SSRC change and a timestamp jump: continuous audio of the right length, right counters', () => {
  const h = new MixerHarness(8000);
  try {
    const s = h.stream();
    const N = 250; // 5 s
    const drop = new Set([30, 31, 90, 170]);
    const swapAfter = new Set([50, 120]); // packet n is sent right after n + 1
    const dup = new Set([70, 140]);
    type Sent = { n: number; at: number };
    const schedule: Sent[] = [];
    for (let n = 0; n < N; n++) {
      if (drop.has(n)) continue;
      const at = Math.round(n * 160 + 8 + jitter(n, 64)); // up to 8 ms of jitter
      if (swapAfter.has(n)) schedule.push({ n, at: Math.round((n + 1) * 160 + 8 + jitter(n + 1, 64)) + 1 });
      else schedule.push({ n, at });
      if (dup.has(n)) schedule.push({ n, at: at + 3 });
    }
    schedule.sort((a, b) => a.at - b.at);
    const packet = (n: number) => {
      // SSRC change at 100 (new numbering and timestamp base), timestamp jump at 200.
      const seg2 = n >= 100;
      const seq = seg2 ? 50000 + n : 1000 + n;
      const ts = seg2 ? 7_000_000 + n * 160 + (n >= 200 ? 1_000_000 : 0) : 123 + n * 160;
      return rtpPacket({ seq, ts, ssrc: seg2 ? 0xbbbb : 0xaaaa, pt: 0, payload: tonePayload(440, 8000, n * 160, 160, 'PCMU') });
    };
    for (const { n, at } of schedule) h.deliver(s, packet(n), at);
    const wav = h.close(N * 160 + 160);
    const st = s.stats();
    assert.deepEqual(
      { packets: st.packets, expected: st.expected, lost: st.lost, duplicates: st.duplicates, reordered: st.reordered, late: st.late },
      { packets: N - 4, expected: N, lost: 4, duplicates: 2, reordered: 2, late: 0 },
    );
    assert.equal(st.lossRate, 0.016);
    assert.ok(st.concealedMs >= 80 && st.concealedMs <= 90, `the four lost packets were concealed: ${st.concealedMs} ms`);
    assert.ok(st.jitterMs > 0.5 && st.jitterMs < 10, `jitter ${st.jitterMs}`);
    assert.ok(st.estMos !== null && st.estMos > 3.5 && st.estMos < 4.4, `MOS ${st.estMos}`);
    const left = wav.samples[0]!;
    assert.equal(left.length, N * 160 + 160);
    assert.ok(longestSilence(left, 100, N * 160 - 100) < 8, `no gap in the audio (longest silence ${longestSilence(left, 100, N * 160 - 100)} samples)`);
    for (const at of [20, 60, 110, 150, 210, 240]) {
      const w = left.subarray(at * 160, at * 160 + 1600);
      assert.equal(dominantFrequency(w, 8000), 440, `tone around packet ${at}`);
    }
    assert.ok(wav.samples[1]!.every((v) => v === 0), 'nothing on the other side');
  } finally {
    h.dispose();
  }
});

test('loss across a flush boundary: the concealment started at the horizon goes on until the next packet', () => {
  const h = new MixerHarness(8000);
  try {
    const s = h.stream();
    // The flush at 4000 has its horizon at 2400, inside lost packets 14-15 (2250..2570), and packet
    // 16 is not due yet: the gap is concealed in two parts, which must join up without silence.
    for (let n = 0; n < 40; n++) {
      if (n === 14 || n === 15) continue;
      h.deliver(s, rtpPacket({ seq: n, ts: n * 160, ssrc: 1, pt: 0, payload: tonePayload(440, 8000, n * 160, 160, 'PCMU') }), n * 160 + 10);
    }
    const wav = h.close(40 * 160 + 10);
    assert.equal(s.stats().concealedMs, 40);
    assert.ok(longestSilence(wav.samples[0]!, 100, 39 * 160) < 4, `longest silence ${longestSilence(wav.samples[0]!, 100, 39 * 160)}`);
  } finally {
    h.dispose();
  }
});

test('a packet that arrives after its place was written is late: concealed, counted, not mixed in later', () => {
  const h = new MixerHarness(8000);
  try {
    const s = h.stream();
    const payload = (n: number) => tonePayload(440, 8000, n * 160, 160, 'PCMU');
    for (let n = 0; n < 100; n++) {
      if (n === 40) continue;
      h.deliver(s, rtpPacket({ seq: n, ts: n * 160, ssrc: 1, pt: 0, payload: payload(n) }), n * 160 + 10);
      if (n === 75) h.deliver(s, rtpPacket({ seq: 40, ts: 40 * 160, ssrc: 1, pt: 0, payload: Buffer.alloc(160, linearToUlaw(30000)) }), n * 160 + 20);
    }
    const wav = h.close(100 * 160);
    const st = s.stats();
    assert.equal(st.late, 1);
    assert.equal(st.lost, 0, 'it did arrive');
    assert.equal(st.reordered, 1);
    assert.equal(st.concealedMs, 20);
    const gap = wav.samples[0]!.subarray(40 * 160, 41 * 160);
    assert.ok(Math.max(...gap) < 9000, 'the late packet (full scale) was not mixed over the concealment');
    assert.ok(rms(gap) > 1000, 'the gap is concealed, not silent');
  } finally {
    h.dispose();
  }
});

test('a delay spike (or a stall of ours): packets beyond the jitter window are late and concealed, the rest stay in place', () => {
  const h = new MixerHarness(8000);
  try {
    const s = h.stream();
    const N = 150;
    for (let n = 0; n < N; n++) {
      // Packets 50..74 wait 500 ms (in the network, or in our socket while we stall), then come together.
      const at = n >= 50 && n < 75 ? 75 * 160 + (n - 50) : n * 160 + 10;
      h.deliver(s, rtpPacket({ seq: n, ts: n * 160, ssrc: 1, pt: 0, payload: tonePayload(440, 8000, n * 160, 160, 'PCMU') }), at);
    }
    const lastArrival = (N - 1) * 160 + 10;
    const endOfLast = s.arrivalEnd;
    const wav = h.close(N * 160 + 10);
    const st = s.stats();
    assert.equal(st.reanchors, 0, 'a spike does not move the stream');
    assert.equal(st.lost, 0);
    assert.ok(st.late >= 10 && st.late <= 16, `late ${st.late}`);
    assert.ok(Math.abs(st.concealedMs - st.late * 20) <= 20, `each late packet was concealed: ${st.concealedMs} ms for ${st.late}`);
    assert.ok(Math.abs(endOfLast - 160 - lastArrival) <= 20, 'still in step with the wall clock');
    const left = wav.samples[0]!;
    assert.equal(left.length, N * 160 + 10);
    assert.ok(longestSilence(left, 70 * 160, N * 160) < 4, 'the packets in time are where they belong, back to back');
  } finally {
    h.dispose();
  }
});

test('a delay step (every packet 400 ms later from some point): late for a second, then the stream follows', () => {
  const h = new MixerHarness(8000);
  try {
    const s = h.stream();
    const N = 250;
    for (let n = 0; n < N; n++) {
      const at = n * 160 + 10 + (n >= 50 ? 3200 : 0);
      h.deliver(s, rtpPacket({ seq: n, ts: n * 160, ssrc: 1, pt: 0, payload: tonePayload(440, 8000, n * 160, 160, 'PCMU') }), at);
    }
    const wav = h.close(N * 160 + 3210);
    const st = s.stats();
    assert.equal(st.reanchors, 1);
    assert.ok(st.late >= 40 && st.late <= 60, `late for about a second: ${st.late}`);
    const left = wav.samples[0]!;
    const tail = left.subarray(130 * 160 + 3210, N * 160 + 3200);
    assert.ok(longestSilence(tail) < 4 && dominantFrequency(tail, 8000) === 440, 'clean after the step');
  } finally {
    h.dispose();
  }
});

test('a backward timestamp jump with running sequence numbers re-anchors at once, without a gap', () => {
  const h = new MixerHarness(8000);
  try {
    const s = h.stream();
    for (let n = 0; n < 150; n++) {
      const ts = n < 100 ? 900_000 + n * 160 : n * 160; // jumps back by 900,000 at packet 100
      h.deliver(s, rtpPacket({ seq: n, ts, ssrc: 1, pt: 0, payload: tonePayload(440, 8000, n * 160, 160, 'PCMU') }), n * 160 + 10);
    }
    const wav = h.close(150 * 160 + 10);
    const st = s.stats();
    assert.deepEqual([st.reanchors, st.late, st.lost, st.concealedMs], [1, 0, 0, 0]);
    assert.ok(longestSilence(wav.samples[0]!, 100, 150 * 160) < 4);
  } finally {
    h.dispose();
  }
});

/** A sender whose RTP clock runs `skew` fast (0.005 = 0.5 %) for `seconds` of wall time. */
function driftRun(skew: number, seconds: number) {
  const h = new MixerHarness(8000);
  const s = h.stream();
  const packets = Math.floor((seconds * 50 * (1 + skew)));
  let lastAt = 0;
  let worst = 0;
  for (let n = 0; n < packets; n++) {
    // The sender thinks 20 ms pass per packet; by the wall clock 20 / (1 + skew) ms do.
    lastAt = Math.round((n * 160) / (1 + skew) + 16 + jitter(n, 40));
    h.deliver(s, rtpPacket({ seq: n, ts: n * 160, ssrc: 9, pt: 0, payload: tonePayload(1000, 8000, n * 160, 160, 'PCMU') }), lastAt);
    // Where this packet's audio goes, against when it arrived (jitter of up to 5 ms included).
    worst = Math.max(worst, Math.abs(s.arrivalEnd - 160 - lastAt));
  }
  const endOfLast = s.arrivalEnd;
  const wav = h.close(lastAt + 160);
  h.dispose();
  return { wav, st: s.stats(), offset: endOfLast - (lastAt + 160), worst, end: lastAt + 160 };
}

test('clock drift: a leg whose RTP clock is 0.5 % fast or slow stays with the wall clock over 20 s, without gaps or late packets', () => {
  for (const skew of [0.005, -0.005]) {
    const { wav, st, offset, worst, end } = driftRun(skew, 20);
    // Uncorrected, the last packet would sit 100 ms (800 samples) away from its arrival, and the
    // offset would grow by 18 s an hour. Corrected, it never leaves the 20 ms dead band by much.
    assert.ok(Math.abs(offset) <= 200, `${skew}: stream end ${offset} samples from the wall clock`);
    assert.ok(worst <= 240, `${skew}: at most ${worst} samples from the wall clock during the call`);
    assert.equal(st.late, 0, `${skew}: no late packets`);
    assert.equal(st.lost, 0);
    const left = wav.samples[0]!;
    assert.equal(left.length, end);
    assert.ok(longestSilence(left, 200, end - 200) < 4, `${skew}: continuous (longest silence ${longestSilence(left, 200, end - 200)})`);
    assert.equal(dominantFrequency(left.subarray(end - 8000, end - 200), 8000), 1000, `${skew}: tone intact at the end`);
    // The correction is sample-sized: at most the 0.5 % itself is synthesised (slow) or dropped (fast).
    assert.ok(st.concealedRatio <= 0.006, `${skew}: concealed ${st.concealedRatio}`);
  }
});

test('comfort noise (RFC 3389) fills the silence at the signalled level; it is neither loss nor concealment', () => {
  const h = new MixerHarness(8000);
  try {
    const s = h.stream();
    let seq = 0;
    for (let n = 0; n < 50; n++) h.deliver(s, rtpPacket({ seq: seq++, ts: n * 160, ssrc: 3, pt: 0, payload: tonePayload(440, 8000, n * 160, 160, 'PCMU') }), n * 160 + 5);
    // Silence starts: one CN packet at -50 dBov, then nothing for 600 ms, then speech (marker).
    h.deliver(s, rtpPacket({ seq: seq++, ts: 50 * 160, ssrc: 3, pt: 13, payload: Buffer.from([50]) }), 50 * 160 + 5);
    for (let n = 80; n < 120; n++) h.deliver(s, rtpPacket({ seq: seq++, ts: n * 160, ssrc: 3, pt: 0, payload: tonePayload(440, 8000, n * 160, 160, 'PCMU'), marker: n === 80 }), n * 160 + 5);
    // Silence again until the call ends: noise up to the end, and not beyond it.
    h.deliver(s, rtpPacket({ seq: seq++, ts: 120 * 160, ssrc: 3, pt: 13, payload: Buffer.from([50]) }), 120 * 160 + 5);
    const wav = h.close(140 * 160);
    assert.equal(wav.samples[0]!.length, 140 * 160, 'the file ends with the call');
    assert.ok(rms(wav.samples[0]!.subarray(125 * 160, 140 * 160)) > 30, 'noise to the end');
    const st = s.stats();
    assert.equal(st.lost, 0);
    assert.equal(st.concealedMs, 0);
    const noise = wav.samples[0]!.subarray(52 * 160, 78 * 160);
    const expected = 23170 * 10 ** (-50 / 20);
    assert.ok(Math.abs(20 * Math.log10(rms(noise) / expected)) < 1, `noise at ${rms(noise).toFixed(1)} rms, signalled ${expected.toFixed(1)}`);
    assert.ok(longestSilence(noise) < 4, 'noise all the way to the next talk spurt');
    assert.equal(dominantFrequency(wav.samples[0]!.subarray(90 * 160, 110 * 160), 8000), 440);
  } finally {
    h.dispose();
  }
});

test('sample rates: G.711 in a 16 kHz file is converted up, G.722 in an 8 kHz file down', () => {
  for (const [fileRate, codec, freq] of [
    [16000, 'PCMU', 440],
    [8000, 'G722', 1000],
  ] as const) {
    const h = new MixerHarness(fileRate);
    try {
      const s = h.stream(codec === 'G722' ? { encoding: 'G722', payloadType: 9 } : {});
      const payloads = tonePackets(codec, freq, 50);
      payloads.forEach((p, n) => h.deliver(s, rtpPacket({ seq: n, ts: n * 160, ssrc: 5, pt: codec === 'G722' ? 9 : 0, payload: p }), (n * fileRate) / 50 + 3));
      const wav = h.close(fileRate);
      assert.equal(wav.sampleRate, fileRate);
      const mid = wav.samples[0]!.subarray(fileRate / 5, (fileRate * 4) / 5);
      assert.equal(dominantFrequency(mid, fileRate), freq, `${codec} in ${fileRate}`);
      assert.ok(rms(mid) > 3000, `${codec} in ${fileRate}: level ${rms(mid)}`);
      assert.ok(longestSilence(wav.samples[0]!, fileRate / 10, (fileRate * 9) / 10) < 4);
    } finally {
      h.dispose();
    }
  }
});

test('more than two streams: streams of one side are summed, a mixed stream goes to both sides', () => {
  const h = new MixerHarness(8000);
  try {
    const a = h.stream({ label: 'a', channel: 0 });
    const b = h.stream({ label: 'b', channel: 1 });
    const c = h.stream({ label: 'c', channel: 0 });
    const m = h.stream({ label: 'm', channel: 0, mixed: true });
    for (let n = 0; n < 50; n++) {
      h.deliver(a, rtpPacket({ seq: n, ts: n * 160, ssrc: 1, pt: 0, payload: tonePayload(440, 8000, n * 160, 160, 'PCMU', 3000) }), n * 160 + 2);
      h.deliver(b, rtpPacket({ seq: n, ts: n * 160, ssrc: 2, pt: 0, payload: tonePayload(1000, 8000, n * 160, 160, 'PCMU', 3000) }), n * 160 + 2);
      h.deliver(c, rtpPacket({ seq: n, ts: n * 160, ssrc: 3, pt: 0, payload: tonePayload(2000, 8000, n * 160, 160, 'PCMU', 3000) }), n * 160 + 2);
      if (n >= 25) h.deliver(m, rtpPacket({ seq: n, ts: n * 160, ssrc: 4, pt: 0, payload: tonePayload(3000, 8000, n * 160, 160, 'PCMU', 3000) }), n * 160 + 2);
    }
    const wav = h.close(50 * 160);
    const power = (x: Int16Array, f: number) => {
      let re = 0;
      let im = 0;
      for (let i = 0; i < x.length; i++) {
        re += x[i]! * Math.cos((2 * Math.PI * f * i) / 8000);
        im += x[i]! * Math.sin((2 * Math.PI * f * i) / 8000);
      }
      return Math.hypot(re, im) / x.length;
    };
    const [left, right] = [wav.samples[0]!.subarray(800, 3200), wav.samples[1]!.subarray(800, 3200)];
    assert.ok(power(left, 440) > 1000 && power(left, 2000) > 1000 && power(left, 1000) < 50, 'left: a + c');
    assert.ok(power(right, 1000) > 1000 && power(right, 440) < 50, 'right: b');
    const [left2, right2] = [wav.samples[0]!.subarray(5000, 7200), wav.samples[1]!.subarray(5000, 7200)];
    assert.ok(power(left2, 3000) > 1000 && power(right2, 3000) > 1000, 'the mixed stream on both sides');
  } finally {
    h.dispose();
  }
});
