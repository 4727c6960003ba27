// The MP3 copy of a recording. The WAV is the evidence and is playable as soon as it is listed;
// the MP3 (smaller, for browsers and exports) follows when a worker of the ffmpeg pool is free,
// and is queued for upload like the WAV. The to-do list is on disk, so a crash or a stop loses no
// MP3: before the WAV is listed, a hard link to it is made in <spool>/mp3-queue/<id>.wav (no
// copy: same inode), which outlives the WAV's own spool name once that is uploaded. The link is
// removed once the MP3 is attached, or when encoding fails for good; at the next start, spool
// recovery resumes every link left behind.
import { link, mkdir, unlink, copyFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Catalog } from '../../storage/catalog/index.js';
import { mediaKey } from '../../storage/media/media-target.js';
import { queuedSpoolPath } from '../../storage/media/spool-path.js';
import { sha256File, syncFile } from './file-hash.js';
import { FfmpegStopped, type FfmpegPool } from './ffmpeg-pool.js';
import type { FileHasher } from './hash-pool.js';

export interface Mp3Job {
  id: string;
  startTime: Date;
  /** The queued link to the stored WAV (see mp3QueuePath). */
  source: string;
  sampleRate: number;
  channels: number;
  durationMs: number;
}

export const mp3QueueDir = (spoolDir: string): string => join(spoolDir, 'mp3-queue');

export const mp3QueuePath = (spoolDir: string, id: string): string => join(mp3QueueDir(spoolDir), `${id}.wav`);

/**
 * ffmpeg arguments: stereo CBR at `bitrateKbps` with LAME's fast preset (`-compression_level 7`:
 * about twice as fast as the default for no audible loss on telephone audio). The sample rate
 * stays the recording's (8 or 16 kHz), which MPEG-2.5/MPEG-2 Layer III carry natively.
 */
export function mp3Args(input: string, output: string, bitrateKbps: number): string[] {
  return [
    '-hide_banner', '-nostdin', '-loglevel', 'error', '-y',
    '-i', input,
    '-map_metadata', '-1', '-ac', '2',
    '-c:a', 'libmp3lame', '-b:a', `${bitrateKbps}k`, '-compression_level', '7',
    '-f', 'mp3', output,
  ];
}

/** Generous: at least 20x real time (measured: about 1000x per core), never under 30 s. */
const timeoutFor = (durationMs: number) => 30_000 + durationMs / 20;

export class Mp3Stage {
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly deps: {
      catalog: Catalog;
      pool: FfmpegPool;
      /** An MP3 was queued for upload. */
      onQueued: () => void;
      bitrateKbps: number;
      spoolDir: string;
      logger: Logger;
      /** fsync + SHA-256 off the event loop (the recorder's hash pool); else done here. */
      hasher?: FileHasher;
    },
  ) {}

  /**
   * Queues the spool WAV for its MP3 before it is handed to the media target. Returns the queue
   * path, or null when the link cannot be made (the call then simply gets no MP3).
   */
  async enqueue(id: string, spoolPath: string): Promise<string | null> {
    const dest = mp3QueuePath(this.deps.spoolDir, id);
    try {
      await linkOrCopy(spoolPath, dest);
      return dest;
    } catch (err) {
      this.deps.logger.warn({ err, id }, 'cannot queue the MP3 of this recording; the WAV is stored without one');
      return null;
    }
  }

  /** Drops a queue entry whose WAV could not be stored (it stays in the spool and is retried whole). */
  async dequeue(source: string): Promise<void> {
    await unlink(source).catch(() => undefined);
  }

  /** Encodes, stores and attaches the MP3. Never rejects: a failure is logged and the WAV stays. */
  encode(job: Mp3Job): Promise<void> {
    const p = this.run(job).finally(() => this.running.delete(p));
    this.running.add(p);
    return p;
  }

  /** Waits for encodes under way (after the pool was stopped they settle at once). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }

  /** fsync, then SHA-256 and size: in the hash pool's threads when there is one. */
  private async durableDigest(path: string): Promise<{ sha256: string; bytes: number }> {
    if (this.deps.hasher) return this.deps.hasher.digest(path, { sync: true, background: true });
    await syncFile(path);
    return { sha256: await sha256File(path), bytes: (await stat(path)).size };
  }

  private async run(job: Mp3Job): Promise<void> {
    const { catalog, pool, bitrateKbps, logger, spoolDir } = this.deps;
    // Named per process: an ffmpeg orphaned by a killed recorder may still be writing its own file.
    const output = join(mp3QueueDir(this.deps.spoolDir), `${job.id}.${process.pid}.mp3`);
    const key = mediaKey(job.startTime, job.id, 'mp3');
    try {
      await pool.run(mp3Args(job.source, output, bitrateKbps), timeoutFor(job.durationMs));
      const { sha256, bytes } = await this.durableDigest(output);
      // Under the name the upload queue looks for; a crash before the catalog row leaves the
      // queue link, so the next start encodes again and replaces this file.
      await rename(output, queuedSpoolPath(spoolDir, job.id, 'mp3'));
      catalog.interactions.attachFile(job.id, {
        format: 'mp3',
        key,
        bytes,
        sha256,
        sampleRate: job.sampleRate,
        channels: 2,
        durationMs: job.durationMs,
        location: 'spool',
      });
      this.deps.onQueued();
    } catch (err) {
      await unlink(output).catch(() => undefined);
      if (err instanceof FfmpegStopped) return; // the queue link stays: the next start resumes it
      logger.error({ err, id: job.id }, 'MP3 not made; the WAV recording is unaffected');
    }
    await unlink(job.source).catch(() => undefined);
  }
}

/** A hard link (no data copied); a copy on filesystems without hard links. Replaces a stale entry. */
async function linkOrCopy(from: string, to: string): Promise<void> {
  await unlink(to).catch(() => undefined);
  try {
    await link(from, to);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      // The queue folder is created on first use (and may be hidden by a mount over the spool).
      await mkdir(join(to, '..'), { recursive: true });
      await link(from, to);
    } else if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP') {
      await copyFile(from, to);
    } else {
      throw err;
    }
  }
}
