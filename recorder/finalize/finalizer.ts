// After the call: make the spool WAV durable, hash it, list it in the catalog (playable at once,
// from the spool) and queue it for upload; the forwarder stores and verifies it, and the MP3
// follows from the MP3 stage. Nothing here needs the media target, so an unreachable target
// never holds up or fails a recording.
import { rename, stat, unlink } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Catalog, MediaFile } from '../../storage/catalog/index.js';
import { mediaKey } from '../../storage/media/media-target.js';
import { sha256File, syncFile } from './file-hash.js';
import type { Mp3Stage } from './mp3-stage.js';
import { queuedSpoolPath } from '../../storage/media/spool-path.js';

export interface FinalizeJob {
  id: string;
  startTime: Date;
  spoolPath: string;
  sampleRate: number;
  channels: number;
  durationMs: number;
}

export class Finalizer {
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly deps: {
      catalog: Catalog;
      spoolDir: string;
      logger: Logger;
      /** null: media.mp3.enabled is false, or no ffmpeg was found. */
      mp3: Mp3Stage | null;
      /** A file was queued for upload. */
      onQueued: () => void;
    },
  ) {}

  finalize(job: FinalizeJob): Promise<void> {
    const p = this.run(job).finally(() => this.running.delete(p));
    this.running.add(p);
    return p;
  }

  /** Waits for WAV hand-offs under way (shutdown, tests); MP3s have their own stage. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }

  private async run(job: FinalizeJob): Promise<void> {
    const { logger, mp3, spoolDir } = this.deps;
    let mp3Source: string | null = null;
    try {
      // The upload queue finds a file by its id; the media engine writes there already.
      const queued = queuedSpoolPath(spoolDir, job.id, 'wav');
      if (job.spoolPath !== queued) await rename(job.spoolPath, queued);
      await syncFile(queued); // durable before it counts as recorded
      const sha256 = await sha256File(queued);
      const bytes = (await stat(queued)).size;
      // Queued before the catalog says available, so a crash between the two still leaves the MP3 to do.
      mp3Source = mp3 ? await mp3.enqueue(job.id, queued) : null;
      this.recordQueued(job, bytes, sha256, 'spool');
    } catch (err) {
      if (mp3 && mp3Source) await mp3.dequeue(mp3Source);
      logger.error({ err, id: job.id, spool: job.spoolPath }, 'could not finalise recording; it stays in the spool and the next start tries again');
      return;
    }
    this.deps.onQueued();
    if (mp3 && mp3Source) void mp3.encode({ ...job, source: mp3Source });
  }

  /**
   * Crash recovery after an upgrade: a recorder before spool-and-forward moved the WAV into a
   * local target and died before the catalog said so. `queued` is its MP3 queue link (the same
   * file under a second name), so it can be hashed and attached as stored.
   */
  async adoptStored(job: Omit<FinalizeJob, 'spoolPath'>, queued: string): Promise<void> {
    const { mp3 } = this.deps;
    const sha256 = await sha256File(queued);
    const bytes = (await stat(queued)).size;
    this.recordQueued(job, bytes, sha256, 'target');
    if (mp3) void mp3.encode({ ...job, source: queued });
    else await unlink(queued);
  }

  /** List the WAV and make the interaction playable, in one commit. */
  private recordQueued(job: Omit<FinalizeJob, 'spoolPath'>, bytes: number, sha256: string, location: NonNullable<MediaFile['location']>): void {
    const { catalog } = this.deps;
    catalog.transaction(() => {
      catalog.interactions.attachFile(job.id, {
        format: 'wav',
        key: mediaKey(job.startTime, job.id, 'wav'),
        bytes,
        sha256,
        sampleRate: job.sampleRate,
        channels: job.channels,
        durationMs: job.durationMs,
        location,
      });
      catalog.interactions.setStatus(job.id, 'available');
    });
  }
}
