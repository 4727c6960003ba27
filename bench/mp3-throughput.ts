// MP3 encoding throughput: how many seconds of recorded audio one CPU second turns into MP3, for
// Debian's ffmpeg and for the bundled @ffmpeg-installer/ffmpeg fallback, with the exact arguments
// the recorder uses (mp3Args), on a generated recording-shaped WAV (stereo 8 kHz, two tones plus
// noise, 10 minutes by default). Then the recorder's pool itself: as many files as workers x 2
// through FfmpegPool, reporting audio seconds per wall second for the whole machine.
//
//   node dist/bench/mp3-throughput.js [--minutes 10] [--runs 3] [--bitrate 32] [--workers N]
//
// CPU time is ffmpeg's own (user + system of the child, all its threads, from the shell's
// `times`), not wall time, so a busy machine slows the run but not the figure much.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { wavHeader } from '../recorder/media/wav-file.js';
import { bundledFfmpeg, debianFfmpeg, type FfmpegBinary } from '../recorder/finalize/ffmpeg-binary.js';
import { FfmpegPool } from '../recorder/finalize/ffmpeg-pool.js';
import { mp3Args } from '../recorder/finalize/mp3-stage.js';

const { values: opt } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    runs: { type: 'string', default: '3' },
    bitrate: { type: 'string', default: '32' },
    workers: { type: 'string', default: String(availableParallelism()) },
  },
});
const minutes = Number(opt.minutes);
const runs = Number(opt.runs);
const bitrate = Number(opt.bitrate);
const workers = Number(opt.workers);

/** Stereo 8 kHz: a tone per channel under some noise, so the encoder has real work (not silence). */
function recordingWav(path: string, seconds: number): void {
  const frames = 8000 * seconds;
  const pcm = Buffer.alloc(frames * 4);
  let seed = 1;
  const noise = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff - 0.5) * 1200;
  for (let i = 0; i < frames; i++) {
    pcm.writeInt16LE(Math.round(6000 * Math.sin((2 * Math.PI * 440 * i) / 8000) + noise()), i * 4);
    pcm.writeInt16LE(Math.round(6000 * Math.sin((2 * Math.PI * 1000 * i) / 8000) + noise()), i * 4 + 2);
  }
  writeFileSync(path, Buffer.concat([wavHeader(8000, 2, pcm.length), pcm]));
}

/** One encode; CPU seconds of ffmpeg (children's user + sys as the shell's `times` reports them). */
function encodeCpuSec(bin: FfmpegBinary, input: string, output: string): number {
  const r = spawnSync('/bin/sh', ['-c', '"$@" || exit 1; times', 'sh', bin.path, ...mp3Args(input, output, bitrate)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${bin.path} failed: ${r.stderr}`);
  const children = r.stdout.trim().split('\n')[1] ?? '';
  const m = /(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s/.exec(children);
  if (!m) throw new Error(`cannot read the CPU time from: ${r.stdout}`);
  return Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]);
}

async function poolRun(bin: FfmpegBinary, input: string, dir: string, audioSec: number): Promise<{ files: number; wallSec: number; audioPerWallSec: number }> {
  const pool = new FfmpegPool(bin.path, workers);
  const files = workers * 2;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: files }, (_, i) => pool.run(mp3Args(input, join(dir, `pool-${i}.mp3`), bitrate), 600_000)));
  const wallSec = (performance.now() - t0) / 1000;
  return { files, wallSec: round(wallSec, 2), audioPerWallSec: Math.round((files * audioSec) / wallSec) };
}

const round = (v: number, d: number) => Math.round(v * 10 ** d) / 10 ** d;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sipvault-mp3-bench-'));
  try {
    const audioSec = minutes * 60;
    const input = join(dir, 'recording.wav');
    recordingWav(input, audioSec);
    const results: Array<Record<string, unknown>> = [];
    for (const bin of [debianFfmpeg(), bundledFfmpeg()]) {
      if (!bin) continue;
      const cpu: number[] = [];
      for (let r = 0; r < runs; r++) cpu.push(encodeCpuSec(bin, input, join(dir, 'out.mp3')));
      const best = Math.min(...cpu);
      const mp3Bytes = statSync(join(dir, 'out.mp3')).size;
      const pool = await poolRun(bin, input, dir, audioSec);
      const row = {
        ffmpeg: bin.source,
        path: bin.path,
        cpuSec: cpu.map((c) => round(c, 3)),
        audioSecPerCpuSec: Math.round(audioSec / best),
        mp3KiB: Math.round(mp3Bytes / 1024),
        pool: { workers, ...pool },
      };
      results.push(row);
      console.log(
        `${bin.source.padEnd(8)} ${minutes} min stereo 8 kHz -> MP3 ${bitrate} kb/s: best ${round(best, 3)} s CPU ` +
          `(${row.audioSecPerCpuSec} s of audio per CPU second); pool of ${workers}: ${pool.files} files in ${pool.wallSec} s ` +
          `= ${pool.audioPerWallSec} s of audio per second`,
      );
    }
    if (results.length === 0) throw new Error('no ffmpeg found (Debian ffmpeg or @ffmpeg-installer/ffmpeg)');
    console.log(JSON.stringify({ bench: 'mp3-throughput', minutes, bitrateKbps: bitrate, runs, cpus: availableParallelism(), results }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`mp3-throughput: ${(err as Error).message}`);
  process.exit(2);
});
