import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ALAW_TABLE, ULAW_TABLE, linearToAlaw, linearToUlaw } from '../../recorder/media/g711.js';
import { StereoTimeline, RING_SAMPLES } from '../../recorder/media/stereo-timeline.js';
import { WavFile } from '../../recorder/media/wav-file.js';
import { MixerHarness, rtpPacket, telephoneEvent } from '../support/mixer-harness.js';
import { PortAllocator } from '../../recorder/media/port-allocator.js';
import { parseWav } from '../support/audio.js';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'sipvault-media-'));
}

test('G.711 tables: encode/decode round trip stays within the quantisation step', () => {
  for (let v = -32000; v <= 32000; v += 97) {
    const u = ULAW_TABLE[linearToUlaw(v)]!;
    const a = ALAW_TABLE[linearToAlaw(v)]!;
    const tol = Math.max(16, Math.abs(v) / 16);
    assert.ok(Math.abs(u - v) <= tol, `mu-law ${v} -> ${u}`);
    assert.ok(Math.abs(a - v) <= tol, `A-law ${v} -> ${a}`);
  }
  assert.equal(ULAW_TABLE[0xff], 0);
  assert.ok(Math.abs(ALAW_TABLE[0xd5]!) <= 8);
});

const ulaw = (v: number, n: number): Int16Array => new Int16Array(n).fill(ULAW_TABLE[linearToUlaw(v)]!);

test('timeline: samples land at their positions, gaps are silence, the WAV header is valid while growing', () => {
  const dir = tmp();
  try {
    const path = join(dir, 'a.wav');
    const wav = new WavFile(path, 8000, 2);
    const t = new StereoTimeline(wav);
    const loud = ulaw(10000, 160);
    assert.ok(t.mix(0, 0, loud, 0, 160));
    assert.ok(t.mix(1, 320, loud, 0, 160));
    t.flushTo(400);
    const mid = parseWav(readFileSync(path)); // readable before close
    assert.equal(mid.samples[0]!.length, 400);
    assert.ok(!t.mix(0, 100, loud, 0, 160), 'a packet entirely before the flushed position is late');
    t.flushTo(800);
    wav.close();
    const w = parseWav(readFileSync(path));
    assert.equal(w.samples[0]!.length, 800);
    assert.ok(w.samples[0]![10]! > 9000 && w.samples[1]![10] === 0);
    assert.ok(w.samples[1]![330]! > 9000 && w.samples[0]![330] === 0);
    assert.equal(w.samples[0]![500], 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('timeline: a position beyond the ring forces an early flush instead of overwriting audio', () => {
  const dir = tmp();
  try {
    const wav = new WavFile(join(dir, 'b.wav'), 8000, 2);
    const t = new StereoTimeline(wav);
    const loud = ulaw(10000, 160);
    t.mix(0, 0, loud, 0, 160);
    t.mix(0, RING_SAMPLES + 100, loud, 0, 160);
    assert.ok(t.flushedPos >= 260);
    t.flushTo(RING_SAMPLES + 400);
    wav.close();
    const w = parseWav(readFileSync(join(dir, 'b.wav')));
    assert.ok(w.samples[0]![50]! > 9000, 'first packet kept');
    assert.ok(w.samples[0]![RING_SAMPLES + 150]! > 9000, 'far packet kept');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('timeline: streams on the same side add up (with saturation), a 16 kHz file has a ring twice as long', () => {
  const dir = tmp();
  try {
    const wav = new WavFile(join(dir, 'c.wav'), 16000, 2);
    const t = new StereoTimeline(wav);
    t.mix(0, 0, new Int16Array(100).fill(1000), 0, 100);
    t.mix(0, 50, new Int16Array(100).fill(2000), 0, 100);
    t.mix(1, 0, new Int16Array(10).fill(30000), 0, 10);
    t.mix(1, 0, new Int16Array(10).fill(30000), 0, 10);
    t.mix(1, RING_SAMPLES + 10, new Int16Array(10).fill(5), 0, 10);
    assert.equal(t.flushedPos, 0, 'no early flush below 2 x RING_SAMPLES at 16 kHz');
    t.flushTo(200);
    wav.close();
    const w = parseWav(readFileSync(join(dir, 'c.wav')));
    assert.equal(w.sampleRate, 16000);
    assert.deepEqual([w.samples[0]![10], w.samples[0]![60], w.samples[0]![120], w.samples[0]![160]], [1000, 3000, 2000, 0]);
    assert.equal(w.samples[1]![5], 32767, 'clipped, not wrapped');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('RTP stream: timestamps place audio, reordering is absorbed, duplicates and DTMF are not audio, loss is counted', () => {
  const h = new MixerHarness(8000);
  try {
    const s = h.stream({ channel: 1 });
    const loud = Buffer.alloc(160, linearToUlaw(12000));
    const at = (seq: number, ts: number, pt: number, payload: Buffer, pos: number) => h.deliver(s, rtpPacket({ seq, ts, ssrc: 7, pt, payload }), pos);
    at(65534, 1000, 0, loud, 0);
    at(0, 1320, 0, loud, 40); // arrives before 65535 (reordered, wraps)
    at(65535, 1160, 0, loud, 60);
    at(65535, 1160, 0, loud, 61); // duplicate
    at(1, 1480, 101, telephoneEvent(5, true, 160), 80); // telephone-event
    at(3, 1800, 0, loud, 120); // seq 2 lost
    const w = h.close(3000);
    const st = s.stats();
    assert.equal(st.packets, 5);
    assert.equal(st.expected, 6);
    assert.equal(st.duplicates, 1);
    assert.equal(st.reordered, 1);
    assert.equal(st.events, 1);
    assert.equal(st.lost, 1);
    const right = w.samples[1]!;
    assert.ok(right[0]! > 11000 && right[159]! > 11000 && right[200]! > 11000 && right[479]! > 11000, 'three contiguous packets');
    assert.equal(right[500], 0, 'the DTMF packet is not written as audio');
    assert.ok(right[800]! > 11000 && right[500]! === 0);
    assert.ok(right.every((v) => v <= 12500), 'duplicate not mixed twice');
    assert.ok(w.samples[0]!.every((v) => v === 0), 'other channel silent');
  } finally {
    h.dispose();
  }
});

test('port allocator hands out even ports and refuses when exhausted', () => {
  const p = new PortAllocator(30001, 30007);
  assert.deepEqual([p.take(), p.take(), p.take()], [30002, 30004, 30006]);
  assert.equal(p.take(), null);
  p.release(30004);
  assert.equal(p.take(), 30004);
});

test('spool files created off the event loop survive garbage collection: no descriptor is closed twice', async () => {
  const { setFlagsFromString } = await import('node:v8');
  const { runInNewContext } = await import('node:vm');
  const { openSync, writeSync, closeSync } = await import('node:fs');
  setFlagsFromString('--expose_gc');
  const gc = runInNewContext('gc') as () => void;
  const dir = tmp();
  try {
    for (let i = 0; i < 50; i++) (await WavFile.create(join(dir, `s${i}.wav`), 8000, 2)).close();
    // A descriptor opened now likely reuses a number one of those files had.
    const other = openSync(join(dir, 'other.bin'), 'w');
    gc();
    await new Promise((r) => setTimeout(r, 50));
    gc();
    await new Promise((r) => setImmediate(r));
    assert.equal(writeSync(other, Buffer.from('still open')), 10, 'the other file was not closed behind our back');
    closeSync(other);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('RTP stream: a new sender (SSRC) or a restarted sequence adds to the counts without phantom loss', () => {
  const h = new MixerHarness(8000);
  try {
    const s = h.stream({ eventPayloadType: null });
    const p = Buffer.alloc(160, linearToUlaw(1000));
    for (let i = 0; i < 75; i++) h.deliver(s, rtpPacket({ seq: 1000 + i, ts: i * 160, ssrc: 11, pt: 0, payload: p }), i * 160);
    // New SSRC starting 2000 numbers later (< 3000: looks like loss unless senders are told apart).
    for (let i = 0; i < 75; i++) h.deliver(s, rtpPacket({ seq: 3000 + i, ts: 99999 + i * 160, ssrc: 22, pt: 0, payload: p }), (75 + i) * 160);
    // Same SSRC restarting its numbering far away.
    for (let i = 0; i < 10; i++) h.deliver(s, rtpPacket({ seq: 40000 + i, ts: 500000 + i * 160, ssrc: 22, pt: 0, payload: p }), (150 + i) * 160);
    h.close(160 * 160);
    const st = s.stats();
    assert.equal(st.packets, 160);
    assert.equal(st.expected, 160);
    assert.equal(st.lost, 0);
  } finally {
    h.dispose();
  }
});
