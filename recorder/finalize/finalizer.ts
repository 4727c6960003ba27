// After the call: hash the spool file and hand it to the media target, then mark the
// interaction available. A failing target leaves the file in the spool (never deleted) and
// raises ConnectionFailed; retry and spool-and-forward come with the storage work (issue 5).
import type { Logger } from 'pino';
import type { Catalog } from '../../storage/catalog/index.js';
import { ALARM_KINDS, alarmSource } from '../../storage/catalog/alarm-kinds.js';
import { mediaKey, type MediaTarget } from '../../storage/media/media-target.js';
import { sha256File, syncFile } from './file-hash.js';

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

  /** Whether our storage alarm is raised: clearing is one SQL write, not worth doing on every call. */
  private storageAlarm: boolean;

  constructor(
    private readonly deps: { catalog: Catalog; target: MediaTarget; logger: Logger; applianceId: string },
  ) {
    const source = alarmSource.storage(deps.applianceId, deps.target.name);
    this.storageAlarm = deps.catalog.alarms.active().some((a) => a.name === ALARM_KINDS.ConnectionFailed.name && a.source === source);
  }

  finalize(job: FinalizeJob): Promise<void> {
    const p = this.run(job).finally(() => this.running.delete(p));
    this.running.add(p);
    return p;
  }

  /** Waits for finalisations under way (shutdown, tests). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.running]);
  }

  private async run(job: FinalizeJob): Promise<void> {
    const { catalog, target, logger, applianceId } = this.deps;
    const key = mediaKey(job.startTime, job.id, 'wav');
    try {
      await syncFile(job.spoolPath); // durable before it counts as recorded
      const sha256 = await sha256File(job.spoolPath);
      const stored = await target.put(job.spoolPath, key);
      catalog.transaction(() => {
        catalog.interactions.attachFile(job.id, {
          format: 'wav',
          key,
          bytes: stored.bytes,
          sha256,
          sampleRate: job.sampleRate,
          channels: job.channels,
          durationMs: job.durationMs,
        });
        catalog.interactions.setStatus(job.id, 'available');
      });
      if (this.storageAlarm) {
        this.storageAlarm = false;
        catalog.alarms.clear(ALARM_KINDS.ConnectionFailed.name, alarmSource.storage(applianceId, target.name));
        logger.info({ target: target.name }, 'storage target reachable again');
      }
    } catch (err) {
      logger.error({ err, id: job.id, spool: job.spoolPath }, 'could not store recording; it stays in the spool');
      this.storageAlarm = true;
      catalog.alarms.raise({
        ...ALARM_KINDS.ConnectionFailed,
        source: alarmSource.storage(applianceId, target.name),
        severity: 'critical',
        text: `Connection To Storage ${target.name} Lost`,
      });
    }
  }
}
