import { unlink } from 'node:fs/promises';
import type { Logger } from '../../config/logger.js';
import { LegalHoldError, type Catalog } from '../../storage/catalog/index.js';
import type { MediaTarget } from '../../storage/media/media-target.js';
import { queuedSpoolPath } from '../../storage/media/spool-path.js';

// Retention and legal hold (seed 000 §1.4.3, §1.12, §1.19.2; seed 001 §B.3).
//
// A call's expiry is fixed when it is recorded: start time + retention days (null = kept
// forever). A legal hold never changes it; it only suspends purging and deletion while it lasts.
// So when a hold is released, calls whose expiry has passed meanwhile are purged by the next run
// and the others are kept until their own expiry. Seed 000's example (90-day retention, hold from
// 1 June to 1 August, "their calls are retained until September 1"): a call recorded on 1 June
// expires 30 August, still ahead at the release, so it stays until then (the seed counts three
// calendar months, hence "September 1"); a call recorded on 1 April expired on 30 June, during
// the hold, and goes at the first run after 1 August. We do not restart the retention at the hold
// or at the release: the seed's own rule says the calls "are purged according to the Cleanup
// scheduling" once released. A user's hold covers every call linked to the user, including calls
// recorded during the hold.

/** What one run did. */
export interface PurgeSummary {
  purged: number;
  /** Expired recordings kept because a legal hold covers them. */
  held: number;
  /** Recordings whose media could not be removed now; they are retried by the next run. */
  failed: number;
}

/**
 * Where a recording's media can be: the storage target, or the local spool while it waits for its
 * upload (spool-and-forward). Removal tries both, so a file is gone wherever it currently is.
 */
export interface MediaPlaces {
  target: MediaTarget;
  spoolDir: string;
}

/**
 * Removes every copy of the files: the spool copy first (so the forwarder cannot upload it after
 * the target copy went), then the target copy. If an upload is in flight meanwhile, the forwarder
 * finds the catalog row gone after its upload and removes what it uploaded.
 */
async function removeMedia(places: MediaPlaces, id: string, files: ReadonlyArray<{ format: 'wav' | 'mp3'; key: string }>): Promise<void> {
  for (const f of files) {
    await unlink(queuedSpoolPath(places.spoolDir, id, f.format)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    await places.target.delete(f.key);
  }
}

export interface PurgeOptions extends MediaPlaces {
  catalog: Catalog;
  /** The job's clock (tests control it). */
  now: Date;
  logger?: Logger;
  /** Recordings per batch (each batch is re-read, so holds placed meanwhile are seen). */
  batch?: number;
}

/** Purges every expired, unheld recording: media from the target, then a tombstone. Audited. */
export async function purgeExpired(o: PurgeOptions): Promise<PurgeSummary> {
  const { catalog, target, now } = o;
  const summary: PurgeSummary = { purged: 0, held: 0, failed: 0 };
  const skip = new Set<string>();
  for (;;) {
    const batch = catalog.retention.expired(now, (o.batch ?? 200) + skip.size).filter((r) => !skip.has(r.id));
    if (batch.length === 0) break;
    for (const rec of batch) {
      try {
        await removeMedia(o, rec.id, rec.files);
        catalog.retention.tombstone(rec.id, { reason: 'retention', removeMetadata: true, at: now });
        summary.purged++;
        catalog.audit.record({
          userId: null,
          username: 'system',
          action: 'retention.purge',
          target: rec.id,
          details: {
            item: 'Call',
            startTime: rec.startTime,
            expiresAt: rec.expiresAt,
            target: target.name,
            files: rec.files.map((f) => ({ format: f.format, key: f.key, bytes: f.bytes, sha256: f.sha256 })),
          },
          ip: null,
        });
      } catch (err) {
        skip.add(rec.id);
        if (err instanceof LegalHoldError) continue; // held after it was listed: counted below
        summary.failed++;
        o.logger?.error({ err, id: rec.id }, `retention purge of ${rec.id} failed; retried by the next run`);
        catalog.audit.record({
          userId: null,
          username: 'system',
          action: 'retention.purge.failed',
          target: rec.id,
          details: { item: 'Call', error: (err as Error).message, target: target.name },
          ip: null,
        });
      }
    }
  }
  summary.held = catalog.retention.heldExpiredCount(now);
  catalog.audit.record({
    userId: null,
    username: 'system',
    action: 'retention.summary',
    target: null,
    details: {
      activityType: 'Retention',
      description: `purge summary: ${summary.purged} calls purged, ${summary.held} held`,
      ...summary,
      at: now.toISOString(),
    },
    ip: null,
  });
  if (summary.purged || summary.failed) o.logger?.info(summary, 'retention purge done');
  return summary;
}

export interface DeleteRequest {
  id: string;
  /** Seed 000 §1.12: "Delete calls's metadata and media" or "Delete calls's media". */
  mode: 'metadataAndMedia' | 'media';
  /** Seed 000 "Authorized By": who approved the deletion. */
  authorizedBy: string;
  /** Seed 000 "Note": why. */
  note: string;
  now: Date;
}

/**
 * Manual deletion: refused (LegalHoldError) while the recording is held, otherwise its media
 * leaves the target and it becomes a tombstone. The caller audits it.
 */
export async function deleteRecording(catalog: Catalog, places: MediaPlaces, r: DeleteRequest): Promise<{ files: string[] }> {
  if (catalog.retention.isHeld(r.id)) {
    throw new LegalHoldError(`interaction ${r.id} is under legal hold and cannot be deleted; release the hold first`);
  }
  const files = catalog.retention.files(r.id);
  await removeMedia(places, r.id, files);
  catalog.retention.tombstone(r.id, { reason: 'manual', removeMetadata: r.mode === 'metadataAndMedia', at: r.now });
  return { files: files.map((f) => f.key) };
}

/** Runs the purge at start and then every `retention.purgeIntervalMinutes`, one run at a time. */
export class RetentionJob {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(
    private readonly catalog: Catalog,
    private readonly places: MediaPlaces,
    private readonly intervalMinutes: number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.runOnce();
    this.timer = setInterval(() => this.runOnce(), this.intervalMinutes * 60_000);
    this.timer.unref();
  }

  /** One run now, unless one is already running. */
  runOnce(now = new Date()): Promise<unknown> {
    if (this.running) return this.running;
    this.running = purgeExpired({ catalog: this.catalog, ...this.places, now, logger: this.logger })
      .catch((err: unknown) => this.logger.error({ err }, `retention purge failed: ${(err as Error).message}`))
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
