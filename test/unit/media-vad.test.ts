// The speech detector (recorder/media/vad.ts) on synthetic stereo PCM: tone bursts stand in for
// talk spurts; white noise for comfort noise and hiss; low-pass noise for a noisy line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpeechDetector, type SpeechSegment } from '../../recorder/media/vad.js';

const DBOV0_RMS = 23170;

/** Deterministic noise source (xorshift32) in [-1, 1). */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2147483648 - 1;
  };
}

type Burst = [fromSec: number, toSec: number];

interface ChannelSpec {
  freq?: number;
  bursts?: Burst[];
  /** dBov of a tone burst (sine RMS against the full-scale sine). */
  toneDbov?: number;
  whiteDbov?: number;
  /** Low-pass ("brown") noise: most of its energy at low frequencies, like a noisy line. */
  lowDbov?: number;
}

function channel(spec: ChannelSpec, rate: number, seconds: number, seed: number): Float64Array {
  const n = Math.round(rate * seconds);
  const out = new Float64Array(n);
  const amp = DBOV0_RMS * Math.SQRT2 * 10 ** ((spec.toneDbov ?? -12) / 20);
  for (const [from, to] of spec.bursts ?? []) {
    for (let i = Math.round(from * rate); i < Math.min(n, Math.round(to * rate)); i++) out[i]! += amp * Math.sin((2 * Math.PI * spec.freq! * i) / rate);
  }
  if (spec.whiteDbov !== undefined) {
    const rnd = prng(seed);
    const a = DBOV0_RMS * 10 ** (spec.whiteDbov / 20) * Math.sqrt(3);
    for (let i = 0; i < n; i++) out[i]! += rnd() * a;
  }
  if (spec.lowDbov !== undefined) {
    const rnd = prng(seed + 7);
    const low = new Float64Array(n);
    let y = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      y = 0.97 * y + rnd();
      low[i] = y;
      sq += y * y;
    }
    const scale = (DBOV0_RMS * 10 ** (spec.lowDbov / 20)) / Math.sqrt(sq / n);
    for (let i = 0; i < n; i++) out[i]! += low[i]! * scale;
  }
  return out;
}

function stereo(left: ChannelSpec, right: ChannelSpec, rate: number, seconds: number): Int16Array {
  const l = channel(left, rate, seconds, 11);
  const r = channel(right, rate, seconds, 23);
  const out = new Int16Array(l.length * 2);
  const clip = (v: number) => Math.max(-32768, Math.min(32767, Math.round(v)));
  for (let i = 0; i < l.length; i++) {
    out[2 * i] = clip(l[i]!);
    out[2 * i + 1] = clip(r[i]!);
  }
  return out;
}

/** Feeds the PCM in uneven batches, as the timeline's flushes do, and returns the segments. */
function detect(pcm: Int16Array, rate: number, seed = 5): SpeechSegment[] {
  const vad = new SpeechDetector(rate);
  const rnd = prng(seed);
  const frames = pcm.length / 2;
  for (let at = 0; at < frames; ) {
    const count = Math.min(frames - at, 1 + Math.floor(((rnd() + 1) / 2) * 4000));
    vad.analyse(pcm.subarray(at * 2), count);
    at += count;
  }
  return vad.finish();
}

function assertSegments(got: SpeechSegment[], want: Array<[SpeechSegment['channel'], number, number]>, toleranceMs = 40): void {
  const show = JSON.stringify(got);
  assert.equal(got.length, want.length, `segments: ${show}`);
  want.forEach(([channel, startMs, endMs], k) => {
    const g = got[k]!;
    assert.equal(g.channel, channel, `segment ${k} channel: ${show}`);
    assert.ok(Math.abs(g.startMs - startMs) <= toleranceMs, `segment ${k} starts at ${g.startMs}, want ${startMs}: ${show}`);
    assert.ok(Math.abs(g.endMs - endMs) <= toleranceMs, `segment ${k} ends at ${g.endMs}, want ${endMs}: ${show}`);
  });
}

test('alternating tone bursts over comfort-noise-like white noise: one segment per talk spurt, a short pause bridged', () => {
  const pcm = stereo(
    // The 300 ms pause between the first two bursts is a pause between words: one segment.
    { freq: 440, bursts: [[0.5, 1.5], [1.8, 2.6], [4.0, 4.8]], whiteDbov: -40 },
    { freq: 1000, bursts: [[2.9, 3.7], [5.2, 6.5]], whiteDbov: -40 },
    8000,
    7,
  );
  assertSegments(detect(pcm, 8000), [
    ['left', 500, 2600],
    ['right', 2900, 3700],
    ['left', 4000, 4800],
    ['right', 5200, 6500],
  ]);
});

test('a tone on one channel only gives segments on that channel only (8 and 16 kHz)', () => {
  for (const rate of [8000, 16000]) {
    const pcm = stereo({ freq: 700, bursts: [[0.3, 1.1], [2.0, 2.5]] }, {}, rate, 3);
    assertSegments(detect(pcm, rate), [
      ['left', 300, 1100],
      ['left', 2000, 2500],
    ]);
    const right = stereo({}, { freq: 700, bursts: [[0.3, 1.1]], lowDbov: -60 }, rate, 2);
    assertSegments(detect(right, rate), [['right', 300, 1100]]);
  }
});

test('silence, comfort noise and a quiet line are not speech', () => {
  const rate = 8000;
  assert.deepEqual(detect(new Int16Array(rate * 2 * 3), rate), [], 'digital silence');
  // White noise far above the absolute minimum (a loud comfort-noise level) from the first frame.
  assert.deepEqual(detect(stereo({ whiteDbov: -30 }, { whiteDbov: -45 }, rate, 5), rate), [], 'white noise');
  // A line with low-frequency noise under the absolute minimum.
  assert.deepEqual(detect(stereo({ lowDbov: -55 }, { lowDbov: -58 }, rate, 5), rate), [], 'quiet line noise');
});

test('a click is dropped; a pause longer than the hangover splits; the last segment ends with the recording', () => {
  const rate = 8000;
  const pcm = stereo({ freq: 440, bursts: [[0.5, 0.58], [1.0, 1.6], [2.2, 2.8], [3.5, 4.0]] }, {}, rate, 4);
  // 80 ms at 0.5 s: too short. 600 ms between the next two: a new sentence. The last runs to the end.
  assertSegments(detect(pcm, rate), [
    ['left', 1000, 1600],
    ['left', 2200, 2800],
    ['left', 3500, 4000],
  ]);
});

test('stationary line noise louder than the minimum is absorbed by the noise floor within two seconds', () => {
  const rate = 8000;
  const pcm = stereo({ lowDbov: -44, freq: 440, bursts: [[4.0, 5.0], [7.0, 7.5]] }, {}, rate, 9);
  const segments = detect(pcm, rate);
  // While the floor climbs from its start value to the noise, the noise may count as speech.
  const settled = segments.filter((s) => s.startMs >= 2000);
  assert.ok(segments.every((s) => s.startMs >= 2000 || s.endMs <= 2000), `only the start may be misjudged: ${JSON.stringify(segments)}`);
  assertSegments(settled, [
    ['left', 4000, 5000],
    ['left', 7000, 7500],
  ]);
});
