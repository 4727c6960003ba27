// Spool-and-forward, the second half: every media file the catalog lists with location 'spool'
// is copied to the media target, read back and verified (size and SHA-256), marked stored, and
// only then removed from the spool. The catalog rows are the queue, so kill -9 loses nothing; a
// copy cut short is simply made again under the same key (an overwrite, never a second object).
// While the target fails, recording goes on, the queue waits with a growing backoff, and
// ConnectionFailed is raised; it is cleared once the target answers and the queue is empty.
import { unlink } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Catalog, QueuedUpload } from '../../storage/catalog/index.js';
import { ALARM_KINDS, alarmSource } from '../../storage/catalog/alarm-kinds.js';
import type { MediaTarget } from '../../storage/media/media-target.js';
import { verifyStored } from '../../storage/media/verify.js';
import { probeTarget } from '../../storage/media/probe.js';
import { queuedSpoolPath } from '../../storage/media/spool-path.js';
import type { FileHasher } from './hash-pool.js';

export interface ForwarderOptions {
  catalog: Catalog;
  target: MediaTarget;
  spoolDir: string;
  logger: Logger;
  applianceId: string;
  retryInitialMs: number;
  retryMaxMs: number;
  /** 0: no periodic probe. */
  probeIntervalMs: number;
  /** Hashes a local target's copy off the event loop (the recorder's hash pool); else it is read back here. */
  hasher?: FileHasher;
}

export class Forwarder {
  private stopped = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private kicked = false;
  /** Sleeping with an empty queue (a kick wakes it) rather than backing off (only the target coming back does). */
  private idle = false;
  /** Queued files found in neither the spool nor the target: logged once, not retried until restart. */
  private readonly lost = new Set<string>();
  private backoffMs: number;
  private probeTimer: NodeJS.Timeout | null = null;
  private probing: Promise<void> | null = null;
  /** Mirrors the catalog so a healthy target costs no SQL per upload. */
  private alarmRaised: boolean;
  /** The target failed last time we tried it (upload or probe). */
  private targetDown = false;
  private prepared = false;
  private readonly source: string;

  constructor(private readonly o: ForwarderOptions) {
    this.backoffMs = o.retryInitialMs;
    this.source = alarmSource.storage(o.applianceId, o.target.name);
    this.alarmRaised = o.catalog.alarms.active().some((a) => a.name === ALARM_KINDS.ConnectionFailed.name && a.source === this.source);
  }

  start(): void {
    this.loop ??= this.run();
    if (this.o.probeIntervalMs > 0) {
      this.probeTimer = setInterval(() => void this.probe(), this.o.probeIntervalMs);
      this.probeTimer.unref();
    }
  }

  /** A file was queued (or the target may be back): look at the queue now, not after the backoff. */
  kick(): void {
    this.kicked = true;
    if (this.idle) this.wake?.();
  }

  /** Lets the upload under way finish, then stops; what is still queued stays for the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.wake?.();
    await this.loop;
    await this.probing;
  }

  /** One probe (write, read back, delete); drives the alarm like an upload does. */
  probe(): Promise<void> {
    this.probing ??= (async () => {
      try {
        await probeTarget(this.o.target, this.o.spoolDir);
        this.prepared = true;
        this.reachable();
      } catch (err) {
        this.unreachable(err, 'storage health probe failed');
      } finally {
        this.probing = null;
      }
    })();
    return this.probing;
  }

  private async run(): Promise<void> {
    const { catalog, logger } = this.o;
    while (!this.stopped) {
      this.kicked = false;
      let batch: QueuedUpload[];
      try {
        batch = catalog.uploads.list(100 + this.lost.size).filter((u) => !this.lost.has(`${u.interactionId}.${u.format}`));
      } catch (err) {
        logger.error({ err }, 'cannot read the upload queue from the catalog');
        await this.sleep(this.o.retryMaxMs);
        continue;
      }
      if (batch.length === 0) {
        if (!this.targetDown) this.reachable();
        this.idle = true;
        await this.sleep(Infinity);
        this.idle = false;
        continue;
      }
      let failed = false;
      for (const u of batch) {
        if (this.stopped) break;
        try {
          await this.forward(u);
        } catch (err) {
          failed = true;
          this.unreachable(err, 'upload failed; the file stays queued in the spool');
          break;
        }
      }
      if (failed) {
        this.kicked = false; // new files arriving during an outage do not shorten the backoff
        await this.sleep(this.backoffMs);
        this.backoffMs = Math.min(this.backoffMs * 2, this.o.retryMaxMs);
      } else {
        this.backoffMs = this.o.retryInitialMs;
        this.targetDown = false;
      }
    }
  }

  private async forward(u: QueuedUpload): Promise<void> {
    const { catalog, target, spoolDir, logger } = this.o;
    if (!this.prepared) {
      await target.prepare();
      this.prepared = true;
    }
    const local = queuedSpoolPath(spoolDir, u.interactionId, u.format);
    const t0 = performance.now();
    try {
      await target.put(local, u.key);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || (err as NodeJS.ErrnoException).path !== local) throw err;
      // No spool file: a previous run may have stored it and died before the catalog said so;
      // the verification below decides. If the target lacks it too, it cannot be retried.
      const there = await target.stat(u.key);
      if (!there) {
        this.lost.add(`${u.interactionId}.${u.format}`);
        logger.error({ id: u.interactionId, format: u.format, spool: local, key: u.key }, 'queued file is in neither the spool nor the storage target; skipped');
        return;
      }
    }
    await verifyStored(target, u, this.o.hasher ? (path) => this.o.hasher!.digest(path, { background: true }) : undefined);
    if (!catalog.uploads.markStored(u)) {
      const now = catalog.interactions.get(u.interactionId, { kind: 'all' })?.files.find((f) => f.format === u.format);
      if (!now) {
        // Deleted or purged while we uploaded: our copy must not outlive the row.
        await target.delete(u.key);
        logger.warn({ id: u.interactionId, format: u.format, key: u.key }, 'recording deleted from the catalog during its upload; uploaded copy removed');
      } else if (now.key !== u.key || now.sha256 !== u.sha256) {
        // Replaced meanwhile: the spool file is the new one and is queued in its own right.
        return;
      }
    }
    await unlink(local).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') logger.warn({ err, spool: local }, 'stored and verified, but the spool copy could not be removed');
    });
    logger.info({ id: u.interactionId, format: u.format, key: u.key, bytes: u.bytes, ms: Math.round(performance.now() - t0) }, 'recording stored and verified');
  }

  private reachable(): void {
    const wasDown = this.targetDown;
    this.targetDown = false;
    if (wasDown) {
      this.kicked = true;
      this.wake?.();
    }
    if (!this.alarmRaised) return;
    // The alarm stays until everything queued during the outage is stored.
    if (this.o.catalog.uploads.count() > this.lost.size) {
      this.kick();
      return;
    }
    this.alarmRaised = false;
    this.o.catalog.alarms.clear(ALARM_KINDS.ConnectionFailed.name, this.source);
    this.o.logger.info({ target: this.o.target.name }, 'storage target reachable again and upload queue drained');
  }

  private unreachable(err: unknown, what: string): void {
    const { catalog, target, logger } = this.o;
    this.targetDown = true;
    this.prepared = false;
    logger.error({ err, target: target.name, queued: catalog.uploads.count() }, what);
    if (this.alarmRaised) return;
    this.alarmRaised = true;
    raiseStorageAlarm(catalog, this.o.applianceId, target.name);
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped || this.kicked) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = Number.isFinite(ms) ? setTimeout(done, ms) : null;
      const self = this;
      function done() {
        if (timer) clearTimeout(timer);
        self.wake = null;
        resolve();
      }
      this.wake = done;
    });
  }
}

/** ConnectionFailed for a storage target, as OVOC shows it. */
export function raiseStorageAlarm(catalog: Catalog, applianceId: string, targetName: string): void {
  catalog.alarms.raise({
    ...ALARM_KINDS.ConnectionFailed,
    source: alarmSource.storage(applianceId, targetName),
    severity: 'critical',
    text: `Connection To Storage ${targetName} Lost`,
  });
}
