// After the call: hash the spool file and hand it to the media target, then mark the
// interaction available; the MP3 follows from the MP3 stage. A failing target leaves the file in
// the spool (never deleted) and raises ConnectionFailed; retry and spool-and-forward come with the
// storage work (issue 5).
import { stat, unlink } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { Catalog } from '../../storage/catalog/index.js';
import { ALARM_KINDS, alarmSource } from '../../storage/catalog/alarm-kinds.js';
import { mediaKey, type MediaTarget } from '../../storage/media/media-target.js';
import { sha256File, syncFile } from './file-hash.js';
import type { Mp3Stage } from './mp3-stage.js';

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
    private readonly deps: {
      catalog: Catalog;
      target: MediaTarget;
      logger: Logger;
      applianceId: string;
      /** null: media.mp3.enabled is false, or no ffmpeg was found. */
      mp3: Mp3Stage | null;
    },
  ) {
    const source = alarmSource.storage(deps.applianceId, deps.target.name);
    this.storageAlarm = deps.catalog.alarms.active().some((a) => a.name === ALARM_KINDS.ConnectionFailed.name && a.source === source);
  }

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
    const { catalog, target, logger, applianceId, mp3 } = this.deps;
    const key = mediaKey(job.startTime, job.id, 'wav');
    let mp3Source: string | null = null;
    let moved = false;
    try {
      await syncFile(job.spoolPath); // durable before it counts as recorded
      const sha256 = await sha256File(job.spoolPath);
      // Queued before the move, so a crash between the two still leaves the MP3 to do.
      mp3Source = mp3 ? await mp3.enqueue(job.id, job.spoolPath) : null;
      const stored = await target.put(job.spoolPath, key);
      moved = true;
      this.recordStored(job, key, stored.bytes, sha256);
      if (this.storageAlarm) {
        this.storageAlarm = false;
        catalog.alarms.clear(ALARM_KINDS.ConnectionFailed.name, alarmSource.storage(applianceId, target.name));
        logger.info({ target: target.name }, 'storage target reachable again');
      }
    } catch (err) {
      // Once moved, the queue link is how the next start finds the stored file again (and adopts it).
      if (mp3 && mp3Source && !moved) await mp3.dequeue(mp3Source);
      logger.error(
        { err, id: job.id, spool: job.spoolPath },
        moved ? 'recording stored but not entered in the catalog' : 'could not store recording; it stays in the spool',
      );
      this.storageAlarm = true;
      catalog.alarms.raise({
        ...ALARM_KINDS.ConnectionFailed,
        source: alarmSource.storage(applianceId, target.name),
        severity: 'critical',
        text: `Connection To Storage ${target.name} Lost`,
      });
      return;
    }
    if (mp3 && mp3Source) void mp3.encode({ ...job, source: mp3Source });
  }

  /**
   * Crash recovery: the WAV reached the media target but the recorder died before the catalog
   * said so. `queued` is its MP3 queue link (the same file under a second name), so it can be
   * hashed and attached without touching the stored copy.
   */
  async adoptStored(job: Omit<FinalizeJob, 'spoolPath'>, queued: string): Promise<void> {
    const { mp3 } = this.deps;
    const sha256 = await sha256File(queued);
    const bytes = (await stat(queued)).size;
    this.recordStored(job, mediaKey(job.startTime, job.id, 'wav'), bytes, sha256);
    if (mp3) void mp3.encode({ ...job, source: queued });
    else await unlink(queued);
  }

  /** The WAV is in the media target: list it and make the interaction playable, in one commit. */
  private recordStored(job: Omit<FinalizeJob, 'spoolPath'>, key: string, bytes: number, sha256: string): void {
    const { catalog } = this.deps;
    catalog.transaction(() => {
      catalog.interactions.attachFile(job.id, {
        format: 'wav',
        key,
        bytes,
        sha256,
        sampleRate: job.sampleRate,
        channels: job.channels,
        durationMs: job.durationMs,
      });
      catalog.interactions.setStatus(job.id, 'available');
    });
  }
}
