// After the call: make the spool WAV durable, hash it, list it in the catalog (playable at once,
// from the spool) and queue it for upload; the forwarder stores and verifies it, and the MP3
// follows from the MP3 stage. Nothing here needs the media target, so an unreachable target
// never holds up or fails a recording.
//
// A burst of call ends (hundreds within seconds) must not stall the RTP of the calls still
// running: the fsync and the hash run in the hash pool's threads, and only `maxInFlight` jobs are
// under way at once, the rest wait in order (first ended, first available). A job waiting here is
// a `pending` interaction with its WAV in the spool, which is exactly what spool recovery resumes
// after a crash.
import { rename, unlink } from 'node:fs/promises';
import { retryWhileBusy } from '../../storage/catalog/busy-retry.js';
import type { Logger } from 'pino';
import type { Catalog, MediaFile } from '../../storage/catalog/index.js';
import { mediaKey } from '../../storage/media/media-target.js';
import { HashPool, type FileHasher } from './hash-pool.js';
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

/** Finalisations under way at once by default: enough to keep the hash pool's threads busy. */
export const DEFAULT_FINALIZE_IN_FLIGHT = 4;


export interface FinalizerDeps {
  catalog: Catalog;
  spoolDir: string;
  logger: Logger;
  /** null: media.mp3.enabled is false, or no ffmpeg was found. */
  mp3: Mp3Stage | null;
  /** A file was queued for upload. */
  onQueued: () => void;
  /** fsync + SHA-256 off the event loop; by default a pool of the finalizer's own. */
  hasher?: FileHasher;
  /** Finalisations under way at once (default DEFAULT_FINALIZE_IN_FLIGHT); the rest wait in order. */
  maxInFlight?: number;
}

interface Waiting {
  job: FinalizeJob;
  done: () => void;
}

export class Finalizer {
  private readonly running = new Set<Promise<void>>();
  private readonly waiting: Waiting[] = [];
  private readonly hasher: FileHasher;
  private readonly maxInFlight: number;

  constructor(private readonly deps: FinalizerDeps) {
    this.hasher = deps.hasher ?? new HashPool();
    this.maxInFlight = deps.maxInFlight ?? DEFAULT_FINALIZE_IN_FLIGHT;
    if (!(Number.isInteger(this.maxInFlight) && this.maxInFlight >= 1)) throw new Error(`finalizer needs maxInFlight >= 1, got ${deps.maxInFlight}`);
  }

  /** Finalisations under way now (never more than maxInFlight). */
  get inFlight(): number {
    return this.running.size;
  }

  /** Finalisations waiting for their turn. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Resolves once this recording is listed (or its failure logged); it may wait for its turn first. */
  finalize(job: FinalizeJob): Promise<void> {
    return new Promise((done) => {
      this.waiting.push({ job, done });
      this.next();
    });
  }

  /** Waits for WAV hand-offs queued or under way (shutdown, tests); MP3s have their own stage. */
  async drain(): Promise<void> {
    while (this.running.size > 0 || this.waiting.length > 0) await Promise.allSettled([...this.running]);
  }

  private next(): void {
    while (this.running.size < this.maxInFlight && this.waiting.length > 0) {
      const { job, done } = this.waiting.shift()!;
      const p: Promise<void> = this.run(job).finally(() => {
        this.running.delete(p);
        done();
        this.next();
      });
      this.running.add(p);
    }
  }

  private async run(job: FinalizeJob): Promise<void> {
    const { logger, mp3, spoolDir } = this.deps;
    let mp3Source: string | null = null;
    try {
      // The upload queue finds a file by its id; the media engine writes there already.
      const queued = queuedSpoolPath(spoolDir, job.id, 'wav');
      if (job.spoolPath !== queued) await rename(job.spoolPath, queued);
      // Durable before it counts as recorded: the fsync comes first, then the hash of what is on disk.
      const { sha256, bytes } = await this.hasher.digest(queued, { sync: true });
      // Queued before the catalog says available, so a crash between the two still leaves the MP3 to do.
      mp3Source = mp3 ? await mp3.enqueue(job.id, queued) : null;
      await this.recordQueued(job, bytes, sha256, 'spool');
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
    const { sha256, bytes } = await this.hasher.digest(queued);
    await this.recordQueued(job, bytes, sha256, 'target');
    if (mp3) void mp3.encode({ ...job, source: queued });
    else await unlink(queued);
  }

  /**
   * List the WAV and make the interaction playable, in one commit. While the portal holds the
   * catalog's write lock the commit is tried again a little later rather than given up: given up,
   * the call would stay `pending` until the next start.
   */
  private async recordQueued(job: Omit<FinalizeJob, 'spoolPath'>, bytes: number, sha256: string, location: NonNullable<MediaFile['location']>): Promise<void> {
    await retryWhileBusy(
      () => this.commitQueued(job, bytes, sha256, location),
      (attempt, err) => this.deps.logger.warn({ id: job.id, attempt, code: (err as { code?: unknown }).code }, 'catalog busy; listing the recording again shortly'),
    );
  }

  private commitQueued(job: Omit<FinalizeJob, 'spoolPath'>, bytes: number, sha256: string, location: NonNullable<MediaFile['location']>): void {
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
