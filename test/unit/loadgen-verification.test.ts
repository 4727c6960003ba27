// The load generator's pure logic: the tone plan, tone reading and judging, WAV windows,
// percentiles, the catalog checks of a call and the capacity bench's step verdict.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PLAN_FREQS, PLAN_PAIRS, tonePair } from '../../bench/loadgen/tone-plan.js';
import { TONE_MIN_PURITY, judgeChannel, phaseSteps, readTone } from '../../bench/loadgen/tone-check.js';
import { parseWavHeader, splitChannels, windowRange } from '../../bench/loadgen/wav-window.js';
import { histogramPercentile, percentile } from '../../bench/loadgen/percentile.js';
import { checkInteraction, type ApiInteraction, type CallExpectation } from '../../bench/loadgen/verify.js';
import { codecOf, type LoadResult } from '../../bench/loadgen/run.js';
import { judgeStep, rampLevels } from '../../bench/capacity/step-verdict.js';
import { wavHeader } from '../../recorder/media/wav-file.js';
import { tonePayload } from '../support/audio.js';
import { ULAW_TABLE } from '../../recorder/media/g711.js';

function sine(freq: number, rate: number, seconds: number, amplitude = 8000, phase = 0): Int16Array {
  const n = Math.round(rate * seconds);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * freq * i) / rate + phase));
  return out;
}

test('tone plan: the first PLAN_PAIRS calls get distinct ordered pairs of two different tones; neighbours share no tone', () => {
  const seen = new Set<string>();
  for (let i = 0; i < PLAN_PAIRS; i++) {
    const p = tonePair(i);
    assert.notEqual(p.caller, p.callee, `call ${i}`);
    assert.ok(PLAN_FREQS.includes(p.caller) && PLAN_FREQS.includes(p.callee));
    const key = `${p.caller}/${p.callee}`;
    assert.ok(!seen.has(key), `pair ${key} repeats at call ${i}`);
    seen.add(key);
    if (i > 0) {
      const q = tonePair(i - 1);
      assert.equal(new Set([q.caller, q.callee, p.caller, p.callee]).size, 4, `calls ${i - 1} and ${i} share a tone`);
    }
  }
  assert.ok(PLAN_PAIRS >= 3000, 'enough pairs for a 1,500-call step');
  assert.deepEqual(tonePair(PLAN_PAIRS), tonePair(0), 'pairs repeat after PLAN_PAIRS');
  assert.throws(() => tonePair(-1), /non-negative integer/);
  for (const f of PLAN_FREQS) assert.equal((f * 160) % 8000, 0, `${f} Hz fits whole cycles in a 20 ms packet`);
});

test('tone reading: every plan tone is found with purity near 1 at 8 and 16 kHz, from any start sample', () => {
  for (const rate of [8000, 16000]) {
    for (const f of PLAN_FREQS) {
      const r = readTone(sine(f, rate, 0.5, 8000, 1.234).subarray(37), rate);
      assert.equal(r.freq, f);
      assert.ok(r.purity > 0.97, `${f} Hz at ${rate}: purity ${r.purity}`);
      assert.ok(Math.abs(r.rms - 8000 / Math.SQRT2) < 100);
    }
  }
});

test('tone reading survives G.711 and a phase step; two calls mixed, silence and the wrong tone are caught', () => {
  // G.711 mu-law: the pre-encoded payload the sender repeats, decoded.
  const payload = tonePayload(1450, 8000, 0, 160, 'PCMU');
  const pcm = new Int16Array(4000);
  for (let i = 0; i < pcm.length; i++) pcm[i] = ULAW_TABLE[payload[i % 160]!]!;
  const g711 = readTone(pcm, 8000);
  assert.equal(judgeChannel(g711, 1450, 700), 'ok', `purity ${g711.purity}`);

  // A step of 3 samples in the middle (the playout clock re-aligning): still the same tone.
  const a = sine(2000, 8000, 0.25);
  const b = sine(2000, 8000, 0.25, 8000, (2 * Math.PI * 2000 * -3) / 8000);
  const stepped = new Int16Array(4000);
  stepped.set(a.subarray(0, 2000));
  stepped.set(b.subarray(0, 2000), 2000);
  assert.equal(judgeChannel(readTone(stepped, 8000), 2000, 500), 'ok');

  // Another call's tone at the same level in the channel.
  const x = sine(1000, 8000, 0.5);
  const y = sine(1300, 8000, 0.5);
  const mixed = x.map((v, i) => Math.round(v / 2 + y[i]! / 2));
  const m = readTone(mixed, 8000);
  assert.ok(m.purity < TONE_MIN_PURITY, `mixed purity ${m.purity}`);
  assert.equal(judgeChannel(m, m.freq, 3000), 'impure');

  assert.equal(judgeChannel(readTone(new Int16Array(4000), 8000), 1000, 1300), 'silent');
  assert.equal(judgeChannel(readTone(sine(1300, 8000, 0.5), 8000), 1000, 1300), 'swapped');
  assert.equal(judgeChannel(readTone(sine(2500, 8000, 0.5), 8000), 1000, 1300), 'wrong-tone');
});

/** A tone as the playout clock leaves it while walking a stream back: `drop` samples taken out of every 160. */
function walkedBack(freq: number, drop: number, seconds = 0.5, from = 0): Int16Array {
  const src = sine(freq, 8000, seconds * 1.05, 8000, 0.3);
  const out = new Int16Array(Math.round(8000 * seconds));
  let j = 0;
  for (let i = 0; i < out.length; i++) {
    if (i > from && i % 160 === 77) j += drop;
    out[i] = src[j++]!;
  }
  return out;
}

test('a stream walked back sample by sample is told apart from a channel carrying something else', () => {
  for (const f of [350, 1000, 1650, 2000, 3300]) {
    for (const drop of [1, 2]) {
      const x = walkedBack(f, drop);
      const steps = phaseSteps(x, 8000, f);
      assert.ok(steps.consistency > 0.9 && steps.share > 0.9 && Math.abs(steps.stepRad) > 0.15, `${f} Hz, ${drop} a packet: ${JSON.stringify(steps)}`);
      const v = judgeChannel(readTone(x, 8000), f, f === 1000 ? 1300 : 1000, TONE_MIN_PURITY, steps);
      assert.ok(v === 'ok' || v === 'time-stepped', `${f} Hz, ${drop} a packet: ${v}`);
    }
  }
  // Above ~1 kHz two samples a packet cost the tone most of its purity: without the phase track it reads as impure or a neighbour.
  const hard = walkedBack(2000, 2);
  assert.notEqual(judgeChannel(readTone(hard, 8000), 2000, 500), 'ok');
  assert.equal(judgeChannel(readTone(hard, 8000), 2000, 500, TONE_MIN_PURITY, phaseSteps(hard, 8000, 2000)), 'time-stepped');
  // The walk starting half-way through the window.
  const half = walkedBack(1400, 2, 0.5, 2000);
  const h = phaseSteps(half, 8000, 1400);
  assert.ok(h.share > 0.3 && h.share < 0.7, JSON.stringify(h));
  assert.equal(judgeChannel(readTone(half, 8000), 1400, 500, TONE_MIN_PURITY, h), 'time-stepped');
  // A steady tone does not turn; another call mixed in does not turn the expected tone either.
  assert.ok(Math.abs(phaseSteps(sine(1000, 8000, 0.5), 8000, 1000).stepRad) < 0.01);
  const x = sine(1000, 8000, 0.5);
  const y = sine(1300, 8000, 0.5, 8000, 0.7);
  const mixed = x.map((v, i) => Math.round(0.6 * v + 0.4 * y[i]!));
  assert.equal(judgeChannel(readTone(mixed, 8000), 1000, 3000, TONE_MIN_PURITY, phaseSteps(mixed, 8000, 1000)), 'impure');
  const louder = x.map((v, i) => Math.round(0.4 * v + 0.6 * y[i]!));
  assert.equal(judgeChannel(readTone(louder, 8000), 1000, 3000, TONE_MIN_PURITY, phaseSteps(louder, 8000, 1000)), 'wrong-tone');
  assert.equal(judgeChannel(readTone(new Int16Array(4000), 8000), 1000, 1300, TONE_MIN_PURITY, phaseSteps(new Int16Array(4000), 8000, 1000)), 'silent');
  // Another tone entirely: the expected one's phase is noise, not a walk.
  const other = walkedBack(2500, 2);
  assert.equal(judgeChannel(readTone(other, 8000), 1000, 1300, TONE_MIN_PURITY, phaseSteps(other, 8000, 1000)), 'wrong-tone');
});

test('WAV windows: header parsed, ranges are whole frames inside the data, channels split', () => {
  const frames = 8000 * 3;
  const head = wavHeader(8000, 2, frames * 4);
  const w = parseWavHeader(Buffer.concat([head, Buffer.alloc(100)]));
  assert.deepEqual(w, { channels: 2, sampleRate: 8000, bitsPerSample: 16, dataOffset: head.length, dataBytes: frames * 4 });
  const r = windowRange(w, 1, 0.5);
  assert.equal(r.start, head.length + 8000 * 4);
  assert.equal(r.end - r.start + 1, 4000 * 4);
  const tail = windowRange(w, 2.9, 0.5);
  assert.equal(tail.end, head.length + frames * 4 - 1, 'clamped to the end of the data');
  assert.equal(tail.frames, 4000);
  const pcm = Buffer.alloc(8);
  pcm.writeInt16LE(1, 0);
  pcm.writeInt16LE(-2, 2);
  pcm.writeInt16LE(3, 4);
  pcm.writeInt16LE(-4, 6);
  assert.deepEqual(splitChannels(pcm, 2).map((c) => [...c]), [[1, 3], [-2, -4]]);
  assert.throws(() => parseWavHeader(Buffer.from('RIFF....WAVX')), /not a RIFF\/WAVE/);
});

test('percentiles: nearest rank, and from a 1 ms histogram', () => {
  assert.equal(percentile([5, 1, 4, 2, 3], 50), 3);
  assert.equal(percentile([5, 1, 4, 2, 3], 95), 5);
  assert.equal(percentile(Array.from({ length: 100 }, (_, i) => i + 1), 95), 95);
  assert.equal(percentile([], 50), null);
  const h = new Uint32Array(10);
  h[0] = 98;
  h[7] = 2;
  assert.equal(histogramPercentile(h, 50), 0);
  assert.equal(histogramPercentile(h, 99), 7);
  assert.equal(histogramPercentile(new Uint32Array(3), 99), null);
});

function interaction(streams: Array<Partial<ApiInteraction['streams'][number]> & { label: string; channel: number }>, durationMs = 30_000): ApiInteraction {
  return {
    id: 'a'.repeat(24),
    callId: 'c1',
    status: 'available',
    durationMs,
    streams: streams.map((s) => ({ codec: 'PCMU', packets: 1500, lost: 0, late: 0, concealedMs: 0, reordered: 0, duplicates: 0, jitterMaxMs: 0, ...s })),
    files: [{ format: 'wav', sampleRate: 8000, channels: 2, durationMs, bytes: 0 }],
  };
}
const expectation = (dropped = 0): CallExpectation => ({
  callId: 'c1',
  callSec: 30.1,
  impaired: false,
  legs: [
    { label: '1', channel: 0, freq: 1000, sent: 1500, dropped, reordered: 0, firstLateMs: 0 },
    { label: '2', channel: 1, freq: 1300, sent: 1500, dropped: 0, reordered: 0, firstLateMs: 0 },
  ],
});

test('catalog checks: recorder-side shortfalls beyond our own drops, channel assignment, duration', () => {
  assert.deepEqual(checkInteraction(interaction([{ label: '1', channel: 0 }, { label: '2', channel: 1 }]), expectation()).causes, []);
  const short = checkInteraction(interaction([{ label: '1', channel: 0, packets: 1497, late: 2, concealedMs: 40 }, { label: '2', channel: 1 }]), expectation());
  assert.deepEqual(short.causes, ['packets-not-received', 'recorder-late', 'recorder-concealed']);
  assert.deepEqual(short.shortfall, { notReceived: 3, lost: 0, late: 2, concealedMs: 40 });
  // 10 packets dropped on purpose: their loss and concealment are ours, one more lost is the recorder's.
  const ours = checkInteraction(interaction([{ label: '1', channel: 0, packets: 1500, lost: 10, concealedMs: 200 }, { label: '2', channel: 1 }]), expectation(10));
  assert.deepEqual(ours.causes, []);
  const more = checkInteraction(interaction([{ label: '1', channel: 0, lost: 11, concealedMs: 220 }, { label: '2', channel: 1 }]), expectation(10));
  assert.deepEqual(more.causes, ['recorder-lost', 'recorder-concealed']);
  assert.deepEqual(checkInteraction(interaction([{ label: '1', channel: 1 }, { label: '2', channel: 0 }]), expectation()).causes, ['channel-assignment', 'channel-assignment']);
  assert.deepEqual(checkInteraction(interaction([{ label: '1', channel: 0 }, { label: '2', channel: 1 }], 28_000), expectation()).causes, ['duration']);
  assert.deepEqual(checkInteraction({ ...interaction([{ label: '1', channel: 0 }]), status: 'failed' }, expectation()).causes, ['status-failed', 'stream-count', 'stream-missing']);
});

test('codec shares are spread evenly over the calls', () => {
  const plan = { g711: 'PCMA' as const, g722Share: 0.2, opusShare: 0.1 };
  const codecs = Array.from({ length: 1000 }, (_, i) => codecOf(i, plan));
  const share = (c: string) => codecs.filter((x) => x === c).length / 1000;
  assert.ok(Math.abs(share('G722') - 0.2) < 0.01 && Math.abs(share('OPUS') - 0.1) < 0.01 && Math.abs(share('PCMA') - 0.7) < 0.01);
  assert.ok(codecs.slice(0, 20).includes('G722'), 'wideband calls from the start, not all at the end');
});

function result(over: { pinned?: boolean; usage?: Partial<LoadResult['usage']>; failures?: Record<string, number>; shortfall?: Partial<LoadResult['shortfall']> } = {}): LoadResult {
  return {
    plan: { pinned: over.pinned ?? false },
    failures: over.failures ?? {},
    shortfall: { notReceived: 0, lost: 0, late: 0, concealedMs: 0, ...over.shortfall },
    usage: {
      recorderCpuPct: 60, recorderLoopCpuPct: 55, portalCpuPct: 1, rtpengineCpuPct: null, senderCpuPct: 30, controllerCpuPct: 3, machineBusyPct: 50, othersCpuPct: 5, cores: 2,
      recorderRssMiB: 300, recorderPeakRssMiB: 310, kernelUdpDrops: 0, plateauSec: 30, sender: { packets: 1, latenessMs: { p50: 0, p99: 1, max: 3 }, cpuSec: 1, activeStreams: 2 },
      ...over.usage,
    },
  } as unknown as LoadResult;
}

test('capacity step verdict: held only when clean, and the first resource to run out is named', () => {
  assert.deepEqual(judgeStep(result()), { held: true, reasons: [], limit: null });
  const late = judgeStep(result({ shortfall: { late: 3 }, failures: { 'recorder-late': 2 }, usage: { recorderLoopCpuPct: 97, machineBusyPct: 99 } }));
  assert.equal(late.held, false);
  assert.match(late.reasons.join('|'), /recorder-side loss: .*3 late/);
  assert.match(late.limit!, /^recorder CPU: its event loop used 97%/);
  assert.match(judgeStep(result({ failures: { 'invite-503': 40 } })).limit!, /^call set-up \(invite-503 40\)/);
  assert.match(judgeStep(result({ shortfall: { concealedMs: 20 }, usage: { machineBusyPct: 98, othersCpuPct: 5 } })).limit!, /^machine CPU: 98% of 2 cores busy .*other processes 5%\)$/);
  assert.match(judgeStep(result({ usage: { machineBusyPct: 98, othersCpuPct: 5 } })).reasons.join(), /machine CPU saturated \(98% of 2 cores\)/);
  // Others kept the machine busy: clean calls still hold; failed ones name the disturbance.
  assert.equal(judgeStep(result({ usage: { machineBusyPct: 100, othersCpuPct: 120 } })).held, true);
  assert.match(judgeStep(result({ shortfall: { late: 4 }, usage: { machineBusyPct: 100, othersCpuPct: 120 } })).limit!, /^machine CPU taken by other processes \(120% of a core.*disturbed/);
  assert.match(judgeStep(result({ shortfall: { notReceived: 5 }, usage: { kernelUdpDrops: 5 } })).limit!, /^socket receive buffers/);
  assert.match(judgeStep(result({ shortfall: { lost: 1 } })).limit!, /^recorder timing with CPU to spare/);
  assert.match(judgeStep(result({ usage: { sender: { packets: 1, latenessMs: { p50: 2, p99: 12, max: 40 }, cpuSec: 1, activeStreams: 1 } } })).reasons.join(), /load generator fell behind/);
  assert.equal(judgeStep(result({ usage: { recorderCpuPct: 97 } })).held, true, 'unpinned: the recorder may use more than one core');
  assert.match(judgeStep(result({ pinned: true, usage: { recorderCpuPct: 97 } })).limit!, /^recorder CPU: 97% of its pinned core/);
  const stepped = judgeStep(result({ failures: { 'tone-left-time-stepped': 30, 'tone-right-time-stepped': 28 } }));
  assert.match(stepped.reasons.join(), /failed verification: tone-left-time-stepped 30/);
  assert.match(stepped.limit!, /^recorder timing at set-up: streams anchored late/);
  assert.doesNotMatch(stepped.limit!, /load generator/);
  const ours = judgeStep({ ...result({ failures: { 'tone-left-time-stepped': 3 } }), senderLateStarts: 5 });
  assert.match(ours.limit!, /5 streams' first packet was sent over 20 ms late by the load generator/);
  assert.deepEqual(rampLevels(250, 250, 1000), [250, 500, 750, 1000]);
  assert.throws(() => rampLevels(0, 10, 5), /ramp needs/);
});
