// Decoders and sample-rate conversion, against independent encoders and decoders.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { G722Decoder } from '../../recorder/media/g722.js';
import { L16Decoder } from '../../recorder/media/l16.js';
import { OpusDecoder, opusPacketSamples } from '../../recorder/media/opus.js';
import { Resampler } from '../../recorder/media/resampler.js';
import { fileSampleRate, mixerCodec, MIXER_CODECS } from '../../recorder/media/codecs.js';
import { dominantFrequency, rms } from '../support/audio.js';
import { FFMPEG, g722Tone, l16Tone, opusTone } from '../support/codec-audio.js';

function ffmpegDecode(input: Buffer, format: string[]): Int16Array {
  const r = spawnSync(FFMPEG, ['-hide_banner', '-loglevel', 'error', ...format, '-i', 'pipe:0', '-f', 's16le', '-acodec', 'pcm_s16le', 'pipe:1'], { input, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(r.stderr.toString());
  return new Int16Array(r.stdout.buffer.slice(r.stdout.byteOffset, r.stdout.byteOffset + r.stdout.length));
}

test('G.722: the decoder matches ffmpeg sample for sample on ffmpeg-encoded audio (tones and a sweep)', () => {
  const sweep = spawnSync(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'aevalsrc=0.6*sin(2*PI*(100+3000*t)*t):s=16000:d=2', '-ac', '1', '-acodec', 'g722', '-f', 'g722', 'pipe:1']).stdout;
  for (const bits of [g722Tone(440, 1), g722Tone(6000, 1, 0.5), sweep]) {
    const reference = ffmpegDecode(bits, ['-f', 'g722']);
    const d = new G722Decoder();
    const out = new Int16Array(bits.length * 2);
    // In 20 ms packets, as RTP carries it: the state runs on across packets.
    let n = 0;
    const chunk = new Int16Array(320);
    for (let off = 0; off < bits.length; off += 160) {
      const k = d.decode(bits, off, Math.min(off + 160, bits.length), chunk);
      out.set(chunk.subarray(0, k), n);
      n += k;
    }
    assert.equal(n, reference.length);
    let mismatches = 0;
    for (let i = 0; i < n; i++) if (out[i] !== reference[i]) mismatches++;
    assert.equal(mismatches, 0, 'bit-exact');
  }
  const d = new G722Decoder();
  const out = new Int16Array(16000);
  const bits = g722Tone(6000, 0.5, 0.5);
  const n = d.decode(bits, 0, bits.length, out);
  assert.equal(dominantFrequency(out.subarray(2000, n), 16000), 6000, 'the upper band carries 6 kHz');
});

test('L16: network byte order, as ffmpeg writes s16be', () => {
  const be = l16Tone(1000, 16000, 0.2);
  const reference = ffmpegDecode(be, ['-f', 's16be', '-ar', '16000', '-ac', '1']);
  const out = new Int16Array(be.length / 2);
  assert.equal(new L16Decoder(16000).decode(be, 0, be.length, out), reference.length);
  assert.deepEqual(out, reference);
  assert.equal(new L16Decoder(8000).samples(be, 0, 321), 160, 'an odd trailing byte is no sample');
});

test('Opus: libopus packets decode at 48 kHz; the TOC byte gives the sample count without decoding', () => {
  const packets = opusTone(1000, 25);
  const d = new OpusDecoder();
  const out = new Int16Array(6000);
  const all: number[] = [];
  for (const p of packets) {
    assert.equal(opusPacketSamples(p, 0, p.length), 960);
    const n = d.decode(p, 0, p.length, out);
    assert.equal(n, 960);
    all.push(...out.subarray(0, n));
  }
  const pcm = Int16Array.from(all);
  assert.equal(dominantFrequency(pcm.subarray(9600), 48000), 1000);
  assert.ok(rms(pcm.subarray(9600)) > 4000);
  assert.equal(d.decode(Buffer.from([0xff, 0xff, 0xff]), 0, 3, out), 0, 'a corrupt packet decodes to nothing, no exception');
  // TOC: config 1 (SILK NB 20 ms) code 0; config 3 (60 ms); config 16 (CELT 2.5 ms) code 1 (two frames); code 3 with 4 frames.
  assert.equal(opusPacketSamples(Buffer.from([1 << 3]), 0, 1), 960);
  assert.equal(opusPacketSamples(Buffer.from([3 << 3]), 0, 1), 2880);
  assert.equal(opusPacketSamples(Buffer.from([(16 << 3) | 1]), 0, 1), 240);
  assert.equal(opusPacketSamples(Buffer.from([(31 << 3) | 3, 4]), 0, 2), 3840);
});

function tone(freq: number, rate: number, n: number, amp = 10000): Int16Array {
  return Int16Array.from({ length: n }, (_, i) => Math.round(amp * Math.sin((2 * Math.PI * freq * i) / rate)));
}

/** Runs a resampler over `input` in 20 ms packets. */
function convert(r: Resampler, input: Int16Array, packet: number): Int16Array {
  const out: number[] = [];
  const buf = new Int16Array(packet * 4);
  for (let off = 0; off < input.length; off += packet) {
    const n = r.process(input.subarray(off, off + packet), Math.min(packet, input.length - off), buf);
    out.push(...buf.subarray(0, n));
  }
  return Int16Array.from(out);
}

test('resampler: 8 -> 16 kHz, 16 -> 8 kHz and 48 -> 16/8 kHz keep the tone, its level and the length', () => {
  const cases: Array<[number, number, number]> = [
    [8000, 16000, 1000],
    [16000, 8000, 1000],
    [48000, 16000, 3000],
    [48000, 8000, 440],
  ];
  for (const [from, to, freq] of cases) {
    const r = Resampler.between(from, to)!;
    const out = convert(r, tone(freq, from, from), from / 50);
    assert.equal(out.length, to, `${from}->${to}: one second stays one second`);
    const steady = out.subarray(to / 10);
    assert.equal(dominantFrequency(steady, to), freq, `${from}->${to}`);
    assert.ok(Math.abs(rms(steady) - 10000 / Math.SQRT2) < 300, `${from}->${to} level ${rms(steady)}`);
  }
  // Down-conversion filters out what the lower rate cannot carry (no aliasing of a 6 kHz tone to 2 kHz).
  const down = convert(Resampler.between(16000, 8000)!, tone(6000, 16000, 16000), 320);
  assert.ok(rms(down.subarray(800)) < 50, `6 kHz leaks ${rms(down.subarray(800))}`);
  assert.equal(Resampler.between(8000, 8000), null);
});

test('codec table and the sample-rate rule: 16 kHz when any stream is wideband', () => {
  assert.equal(mixerCodec('pcmu', 8000)?.sampleRate, 8000);
  assert.equal(mixerCodec('G722', 8000)?.sampleRate, 16000, 'G.722: 16 kHz audio on an 8000 RTP clock');
  assert.equal(mixerCodec('opus', 48000)?.wideband, true);
  assert.equal(mixerCodec('L16', 16000)?.wideband, true);
  assert.equal(mixerCodec('L16', 8000)?.wideband, false);
  assert.equal(mixerCodec('G729', 8000), undefined);
  assert.equal(mixerCodec('telephone-event', 8000), undefined, 'DTMF is never audio');
  const [pcmu, , g722] = MIXER_CODECS;
  assert.equal(fileSampleRate([pcmu!, pcmu!]), 8000);
  assert.equal(fileSampleRate([pcmu!, g722!]), 16000);
  assert.equal(fileSampleRate([]), 8000);
});
