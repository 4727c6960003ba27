// Per-stream quality figures: RFC 3550 counting, windowed loss, jitter, the E-model estimate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReceptionStats, Arrival } from '../../recorder/media/reception-stats.js';
import { estimateMos, mosFromR, rFactor } from '../../recorder/media/e-model.js';

test('RFC 3550 A.1/A.3: wrap-around, reordering across the wrap, duplicates, loss; a restart starts a new segment', () => {
  const rx = new ReceptionStats(8000, 8000);
  const kinds = [65533, 65534, 0, 65535, 65535, 2, 3].map((seq, i) => rx.receive(seq, 1, i * 160));
  assert.deepEqual(kinds, [Arrival.InOrder, Arrival.InOrder, Arrival.InOrder, Arrival.Reordered, Arrival.Duplicate, Arrival.InOrder, Arrival.InOrder]);
  assert.deepEqual([rx.received, rx.expected, rx.lost, rx.duplicates, rx.reordered], [6, 7, 1, 1, 1]);
  rx.receive(30000, 1, 2000); // a jump of > 3000: the sender restarted its numbering
  assert.ok(rx.newSegment);
  rx.receive(30001, 1, 2160);
  assert.deepEqual([rx.received, rx.expected, rx.lost], [8, 9, 1], 'no phantom loss across the restart');
});

test('worst 20 s window: loss concentrated in one window shows there, not diluted over the call', () => {
  const rx = new ReceptionStats(8000, 8000);
  // 60 s of packets; in the second 20 s window, 100 of 1000 packets are lost.
  for (let n = 0; n < 3000; n++) {
    if (n >= 1200 && n < 1300) continue;
    rx.receive(n & 0xffff, 5, n * 160);
  }
  assert.equal(rx.lost, 100);
  assert.ok(Math.abs(rx.expected - 3000) <= 0);
  const worst = rx.maxWindowLossRate();
  assert.ok(worst > 0.09 && worst < 0.11, `worst window ${worst}`);
  assert.equal(rx.lost / rx.expected < 0.04, true);
});

test('RFC 3550 A.8 jitter: zero for a steady stream, mean |D| for alternating delays', () => {
  const steady = new ReceptionStats(8000, 8000);
  for (let n = 0; n < 200; n++) {
    steady.receive(n, 1, n * 160 + 40);
    steady.updateJitter(n * 160 + 40, n * 160);
  }
  assert.equal(steady.jitterMs().avg, 0);
  const wobbly = new ReceptionStats(8000, 8000);
  for (let n = 0; n < 2000; n++) {
    const at = n * 160 + (n % 2 ? 80 : 0); // 10 ms late every other packet: |D| = 10 ms each time
    wobbly.receive(n, 1, at);
    wobbly.updateJitter(at, n * 160);
  }
  const j = wobbly.jitterMs();
  assert.ok(Math.abs(j.avg - 10) < 0.5 && j.max <= 10.01, `jitter ${JSON.stringify(j)}`);
  // Opus: 48 kHz timestamps on a 16 kHz timeline.
  const opus = new ReceptionStats(16000, 48000);
  for (let n = 0; n < 2000; n++) {
    const at = n * 320 + (n % 2 ? 160 : 0);
    opus.receive(n, 1, at);
    opus.updateJitter(at, n * 960);
  }
  assert.ok(Math.abs(opus.jitterMs().avg - 10) < 0.5);
});

test('E-model (G.107 simplified): no impairment ~4.4, loss and delay lower it, monotonically', () => {
  assert.equal(Math.round(rFactor('PCMU', 0, 0) * 10) / 10, 93.2);
  assert.equal(mosFromR(93.2).toFixed(2), '4.41');
  assert.equal(estimateMos('PCMU', 0, 0, 20), 4.4);
  const m1 = estimateMos('PCMU', 0.01, 2, 20);
  const m5 = estimateMos('PCMU', 0.05, 2, 20);
  const m20 = estimateMos('PCMU', 0.2, 2, 20);
  assert.ok(4.4 > m1 && m1 > m5 && m5 > m20, `${m1} ${m5} ${m20}`);
  // Ie,eff at 5 % with Bpl 25.1: 95 * 5 / 30.1 = 15.8 -> R ~ 77 -> MOS ~ 3.9.
  assert.ok(Math.abs(m5 - 3.9) < 0.1, `5 % loss: ${m5}`);
  assert.ok(estimateMos('PCMU', 0, 100, 20) < estimateMos('PCMU', 0, 5, 20), 'jitter counts as delay');
  assert.equal(mosFromR(-5), 1);
  assert.equal(mosFromR(120), 4.5);
});
