// The spool WAV repair a recorder runs at start after a crash: the file size is the truth, whole
// frames are kept, a torn last frame is cut, and the header sizes follow. Files are written by the
// real WavFile writer, then put in the states a kill -9 can leave them in.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WavFile, wavHeader } from '../../recorder/media/wav-file.js';
import { repairWav, inspectWav, UnreadableWavError } from '../../recorder/finalize/wav-repair.js';
import { dominantFrequency, parseWav } from '../support/audio.js';

function tmpDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'sipvault-wav-repair-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Interleaved stereo PCM: a tone on the left, another on the right, `frames` long from `start`. */
function stereoTone(frames: number, start = 0, left = 440, right = 1000, rate = 8000): Buffer {
  const b = Buffer.alloc(frames * 4);
  for (let i = 0; i < frames; i++) {
    b.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * left * (start + i)) / rate)), i * 4);
    b.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * right * (start + i)) / rate)), i * 4 + 2);
  }
  return b;
}

/** A spool file as the recorder writes it: `batches` of 250 ms through WavFile. */
function spoolFile(dir: string, batches: number, rate = 8000): string {
  const path = join(dir, 'call.wav');
  const wav = new WavFile(path, rate, 2);
  const frames = rate / 4;
  for (let i = 0; i < batches; i++) {
    const pcm = stereoTone(frames, i * frames, 440, 1000, rate);
    wav.append(pcm, pcm.length);
  }
  wav.close();
  return path;
}

test('a valid spool file is left byte for byte as it is', async (t) => {
  const path = spoolFile(tmpDir(t), 8);
  const before = readFileSync(path);
  const r = await repairWav(path);
  assert.deepEqual(r, { sampleRate: 8000, channels: 2, dataBytes: 8 * 2000 * 4, durationMs: 2000, headerFixed: false, truncatedBytes: 0 });
  assert.deepEqual(readFileSync(path), before);
});

test('a header that lags the data (killed between the data write and the header write) is brought up to the file size', async (t) => {
  const path = spoolFile(tmpDir(t), 4); // header says 1 s
  appendFileSync(path, stereoTone(2000, 4 * 2000)); // one more batch on disk, header not rewritten
  assert.equal(parseWav(readFileSync(path)).durationSec, 1, 'the lagging header hides the last batch');

  const r = await repairWav(path);
  assert.equal(r.headerFixed, true);
  assert.equal(r.truncatedBytes, 0);
  assert.equal(r.durationMs, 1250);
  const wav = parseWav(readFileSync(path));
  assert.equal(wav.durationSec, 1.25);
  assert.equal(readFileSync(path).readUInt32LE(4), statSync(path).size - 8, 'RIFF size');
  // The batch the header did not cover is kept as real audio, both channels.
  const tail = (ch: number) => wav.samples[ch]!.subarray(8000, 10000);
  assert.equal(dominantFrequency(tail(0), 8000), 440);
  assert.equal(dominantFrequency(tail(1), 8000), 1000);
});

test('a torn last frame (killed inside a write) is cut; every whole frame is kept', async (t) => {
  const path = spoolFile(tmpDir(t), 4);
  const extra = stereoTone(100, 8000);
  appendFileSync(path, extra.subarray(0, 99 * 4 + 3)); // 99 whole frames and 3 bytes of the 100th
  const r = await repairWav(path);
  assert.equal(r.truncatedBytes, 3);
  assert.equal(r.dataBytes, (8000 + 99) * 4);
  assert.equal(r.headerFixed, true);
  assert.equal(statSync(path).size, 44 + (8000 + 99) * 4);
  const wav = parseWav(readFileSync(path));
  assert.equal(wav.samples[0]!.length, 8099);
  // The last whole frame is the one written, not zeros.
  assert.equal(wav.samples[0]![8098], extra.readInt16LE(98 * 4));
  assert.equal(wav.samples[1]![8098], extra.readInt16LE(98 * 4 + 2));
});

test('a header ahead of the data (the data pages were lost, the header page was not) follows the file', async (t) => {
  const dir = tmpDir(t);
  const path = join(dir, 'ahead.wav');
  writeFileSync(path, Buffer.concat([wavHeader(16000, 2, 64000), stereoTone(1000, 0, 440, 1000, 16000)]));
  const r = await repairWav(path);
  assert.equal(r.sampleRate, 16000);
  assert.equal(r.dataBytes, 4000);
  assert.equal(r.durationMs, Math.round((1000 / 16000) * 1000));
  assert.equal(r.headerFixed, true);
  assert.equal(parseWav(readFileSync(path)).dataBytes, 4000);
});

test('a spool file with only its header is an empty recording, and a torn header is unreadable (file untouched)', async (t) => {
  const dir = tmpDir(t);
  const empty = spoolFile(dir, 0);
  assert.equal((await repairWav(empty)).durationMs, 0);

  const torn = join(dir, 'torn.wav');
  writeFileSync(torn, wavHeader(8000, 2, 0).subarray(0, 30));
  await assert.rejects(repairWav(torn), UnreadableWavError);
  const garbage = join(dir, 'garbage.wav');
  writeFileSync(garbage, Buffer.from('this is not a wav file at all, not even close'));
  await assert.rejects(repairWav(garbage), /not a usable WAV file \(no RIFF\/WAVE header\)/);
  assert.equal(readFileSync(garbage, 'utf8'), 'this is not a wav file at all, not even close');
});

test('inspectWav describes a stored file without changing it', async (t) => {
  const path = spoolFile(tmpDir(t), 6);
  const before = readFileSync(path);
  assert.deepEqual(await inspectWav(path), { sampleRate: 8000, channels: 2, dataBytes: 6 * 2000 * 4, durationMs: 1500 });
  assert.deepEqual(readFileSync(path), before);
});
