import type { Config } from '../../config/schema.js';
import type { Logger } from '../../config/logger.js';
import { LegalHoldError, type Catalog } from '../../storage/catalog/index.js';
import type { MediaTarget } from '../../storage/media/media-target.js';
import { LocalMediaTarget, localTargetRoot } from '../../storage/media/local-target.js';

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

export interface PurgeOptions {
  catalog: Catalog;
  target: MediaTarget;
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
        for (const f of rec.files) await target.delete(f.key);
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
export async function deleteRecording(catalog: Catalog, target: MediaTarget, r: DeleteRequest): Promise<{ files: string[] }> {
  if (catalog.retention.isHeld(r.id)) {
    throw new LegalHoldError(`interaction ${r.id} is under legal hold and cannot be deleted; release the hold first`);
  }
  const files = catalog.retention.files(r.id);
  for (const f of files) await target.delete(f.key);
  catalog.retention.tombstone(r.id, { reason: 'manual', removeMetadata: r.mode === 'metadataAndMedia', at: r.now });
  return { files: files.map((f) => f.key) };
}

/**
 * The media target recordings live on, built from the config as the recorder builds it. Null
 * when the configured type has no implementation in this build (S3 arrives with its own part).
 */
export function mediaTargetFor(config: Config): MediaTarget | null {
  const t = config.storage.target;
  if (t.type === 'local') return new LocalMediaTarget(t.name, localTargetRoot(config.dataDir, t.path));
  return null;
}

/** Runs the purge at start and then every `retention.purgeIntervalMinutes`, one run at a time. */
export class RetentionJob {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(
    private readonly catalog: Catalog,
    private readonly target: MediaTarget | null,
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
    if (!this.target) {
      this.logger.warn('retention purge skipped: the storage target type has no media target in this build');
      return Promise.resolve();
    }
    this.running = purgeExpired({ catalog: this.catalog, target: this.target, now, logger: this.logger })
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
