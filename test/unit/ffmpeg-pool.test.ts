// The MP3 encoder: the real ffmpeg binaries (Debian's and the bundled fallback) in the bounded
// pool, checked with ffprobe and by decoding the result again.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wavHeader } from '../../recorder/media/wav-file.js';
import { bundledFfmpeg, debianFfmpeg, findFfmpeg } from '../../recorder/finalize/ffmpeg-binary.js';
import { FfmpegPool, FfmpegStopped } from '../../recorder/finalize/ffmpeg-pool.js';
import { mp3Args } from '../../recorder/finalize/mp3-stage.js';
import { dominantFrequency, parseWav } from '../support/audio.js';
import { childrenOf } from '../support/processes.js';

function tmpDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'sipvault-ffmpeg-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A recording-shaped WAV: 8 kHz stereo, 440 Hz left, 1000 Hz right. */
function toneWav(path: string, seconds: number): void {
  const frames = 8000 * seconds;
  const pcm = Buffer.alloc(frames * 4);
  for (let i = 0; i < frames; i++) {
    pcm.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000)), i * 4);
    pcm.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 1000 * i) / 8000)), i * 4 + 2);
  }
  writeFileSync(path, Buffer.concat([wavHeader(8000, 2, pcm.length), pcm]));
}

test('Debian ffmpeg is preferred; the bundled build is there as the fallback', () => {
  assert.equal(findFfmpeg()?.source, 'debian');
  assert.equal(bundledFfmpeg()?.source, 'bundled');
});

for (const [name, find] of [['Debian', debianFfmpeg], ['bundled', bundledFfmpeg]] as const) {
  test(`${name} ffmpeg makes a stereo 32 kb/s MP3 that decodes back to the recording`, async (t) => {
    const bin = find();
    assert.ok(bin, `${name} ffmpeg is installed`);
    const dir = tmpDir(t);
    toneWav(join(dir, 'in.wav'), 3);
    const pool = new FfmpegPool(bin.path, 1);
    await pool.run(mp3Args(join(dir, 'in.wav'), join(dir, 'out.mp3'), 32), 30_000);

    const probe = JSON.parse(
      execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,channels,sample_rate,bit_rate', '-of', 'json', join(dir, 'out.mp3')], { encoding: 'utf8' }),
    ) as { streams: Array<{ codec_name: string; channels: number; sample_rate: string; bit_rate: string }> };
    assert.deepEqual(probe.streams[0], { codec_name: 'mp3', channels: 2, sample_rate: '8000', bit_rate: '32000' });

    execFileSync('ffmpeg', ['-v', 'error', '-i', join(dir, 'out.mp3'), '-c:a', 'pcm_s16le', join(dir, 'back.wav')]);
    const back = parseWav(readFileSync(join(dir, 'back.wav')));
    assert.equal(back.channels, 2);
    assert.ok(Math.abs(back.durationSec - 3) <= 0.1, `decoded duration ${back.durationSec}`);
    const mid = (ch: number) => back.samples[ch]!.subarray(8000, 16000);
    assert.equal(dominantFrequency(mid(0), 8000), 440);
    assert.equal(dominantFrequency(mid(1), 8000), 1000);
  });
}

test('the pool never runs more ffmpeg processes than it has workers', async (t) => {
  const dir = tmpDir(t);
  toneWav(join(dir, 'in.wav'), 300); // ~0.3 s of work each: long enough to overlap
  const pool = new FfmpegPool(findFfmpeg()!.path, 2);
  let most = 0;
  const sampler = setInterval(() => {
    const n = childrenOf(process.pid).filter((c) => c.cmdline.some((a) => a.endsWith('ffmpeg'))).length;
    most = Math.max(most, n);
  }, 5);
  try {
    const jobs = Array.from({ length: 6 }, (_, i) => pool.run(mp3Args(join(dir, 'in.wav'), join(dir, `out${i}.mp3`), 32), 60_000));
    assert.equal(pool.running, 2);
    assert.equal(pool.queued, 4);
    await Promise.all(jobs);
  } finally {
    clearInterval(sampler);
  }
  assert.equal(most, 2, 'two at a time, and both used');
  assert.equal(pool.running + pool.queued, 0);
});

test('a failing ffmpeg rejects with its own message; stop() ends running and queued jobs', async (t) => {
  const dir = tmpDir(t);
  writeFileSync(join(dir, 'bad.wav'), 'RIFF but not really a wave file');
  const pool = new FfmpegPool(findFfmpeg()!.path, 1);
  await assert.rejects(pool.run(mp3Args(join(dir, 'bad.wav'), join(dir, 'bad.mp3'), 32), 30_000), /ffmpeg exited with code \d+: .*bad\.wav/);

  toneWav(join(dir, 'long.wav'), 300);
  const running = assert.rejects(pool.run(mp3Args(join(dir, 'long.wav'), join(dir, 'a.mp3'), 32), 60_000), FfmpegStopped);
  const queued = assert.rejects(pool.run(mp3Args(join(dir, 'long.wav'), join(dir, 'b.mp3'), 32), 60_000), FfmpegStopped);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(pool.running, 1);
  pool.stop();
  await Promise.all([running, queued]);
  await assert.rejects(pool.run(['-version'], 1000), FfmpegStopped);
});
