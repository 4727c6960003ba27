// MP3 encoding throughput on the run's own recordings: the longest WAVs the appliance wrote,
// encoded as the recorder encodes them (its ffmpeg, its arguments, its pool at nice 10), timing
// ffmpeg's CPU (our reaped children) and the wall clock. Done after the hold rather than during
// the ramp: the copies of a 1,000-call step take minutes of CPU, which would either eat the time
// budget or run under the next step and blur what the call path costs.
import { copyFileSync, mkdtempSync, openSync, readSync, closeSync, readdirSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFfmpeg } from '../../recorder/finalize/ffmpeg-binary.js';
import { FfmpegPool } from '../../recorder/finalize/ffmpeg-pool.js';
import { mp3Args } from '../../recorder/finalize/mp3-stage.js';
import { parseWavHeader } from '../loadgen/wav-window.js';
import { reapedChildrenCpuSec } from '../loadgen/proc-extra.js';

export interface Mp3Sample {
  ffmpeg: 'debian' | 'bundled';
  workers: number;
  files: number;
  audioSec: number;
  cpuSec: number;
  audioSecPerCpuSec: number;
  wallSec: number;
  audioSecPerWallSec: number;
}

function wavsUnder(dir: string): Array<{ path: string; bytes: number }> {
  const out: Array<{ path: string; bytes: number }> = [];
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile() || !e.name.endsWith('.wav')) continue;
    const path = join(e.parentPath, e.name);
    out.push({ path, bytes: statSync(path).size });
  }
  return out;
}

function audioSecOf(path: string): number {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(1024);
    const n = readSync(fd, head, 0, head.length, 0);
    const w = parseWavHeader(head.subarray(0, n));
    return w.dataBytes / (w.channels * (w.bitsPerSample / 8) * w.sampleRate);
  } finally {
    closeSync(fd);
  }
}

/** Encodes the `count` longest recordings under `dataDir`; null without ffmpeg or recordings. */
export async function measureMp3(dataDir: string, count: number, bitrateKbps = 32, workers = availableParallelism()): Promise<Mp3Sample | null> {
  const bin = findFfmpeg();
  if (!bin) return null;
  const candidates = wavsUnder(dataDir).sort((a, b) => b.bytes - a.bytes);
  const out = mkdtempSync(join(tmpdir(), 'sipvault-capacity-mp3-'));
  const pool = new FfmpegPool(bin.path, workers);
  try {
    // Copies, taken first: the appliance may still be moving a spool file to its target.
    const wavs: Array<{ path: string }> = [];
    for (const c of candidates) {
      if (wavs.length === count) break;
      const path = join(out, `${wavs.length}.wav`);
      try {
        copyFileSync(c.path, path);
        wavs.push({ path });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    if (wavs.length === 0) return null;
    const audioSec = wavs.reduce((sum, w) => sum + audioSecOf(w.path), 0);
    const cpu0 = reapedChildrenCpuSec(process.pid)!;
    const t0 = performance.now();
    await Promise.all(wavs.map((w, i) => pool.run(mp3Args(w.path, join(out, `${i}.mp3`), bitrateKbps), 600_000)));
    const wallSec = (performance.now() - t0) / 1000;
    const cpuSec = reapedChildrenCpuSec(process.pid)! - cpu0;
    return {
      ffmpeg: bin.source,
      workers,
      files: wavs.length,
      audioSec: Math.round(audioSec),
      cpuSec: Math.round(cpuSec * 100) / 100,
      audioSecPerCpuSec: Math.round(audioSec / Math.max(cpuSec, 0.01)),
      wallSec: Math.round(wallSec * 10) / 10,
      audioSecPerWallSec: Math.round(audioSec / wallSec),
    };
  } finally {
    pool.stop();
    rmSync(out, { recursive: true, force: true });
  }
}
