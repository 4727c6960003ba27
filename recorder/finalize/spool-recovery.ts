// Crash recovery, run by the recorder at start before it takes SIP traffic. A recorder killed
// mid-call (kill -9, OOM, power loss) leaves spool WAVs whose interactions still say `recording`;
// nothing else would ever finish them. Each such file is repaired (wav-repair.ts) and stored
// through the normal finalizer as a *partial* recording: release cause Failure, end time = start
// + the audio on disk. Spool files are never deleted here: one without a catalog row (a catalog
// restored from backup, a file copied in by hand) is kept and logged for an operator.
import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Catalog, Interaction } from '../../storage/catalog/index.js';
import type { Finalizer } from './finalizer.js';
import { mp3QueueDir, type Mp3Stage } from './mp3-stage.js';
import { repairWav, inspectWav, UnreadableWavError, type RepairedWav } from './wav-repair.js';

export interface SpoolRecoveryDeps {
  catalog: Catalog;
  spoolDir: string;
  finalizer: Finalizer;
  mp3: Mp3Stage | null;
  logger: Logger;
}

export interface RecoverySummary {
  /** `recording` interactions stored as partial recordings. */
  partial: number;
  /** `pending` interactions (call ended, file not yet stored) handed to the finalizer again. */
  resumed: number;
  /** Stored WAVs the catalog did not know about yet, now attached. */
  adopted: number;
  /** Interactions marked failed: no spool file, or one that is not a WAV. */
  failed: number;
  /** Spool files without a catalog row, kept. */
  orphans: number;
  /** MP3s queued again. */
  mp3Requeued: number;
  /** Files waiting in the spool for their upload (the forwarder takes them on). */
  uploadsQueued: number;
}

const ALL = { kind: 'all' } as const;
const SPOOL_WAV = /^([0-9a-f]{24})\.wav$/;
const SPOOL_MP3 = /^([0-9a-f]{24})\.mp3$/;

async function list(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/**
 * Repairs and hands on everything a previous recorder left unfinished. Returns once the files are
 * repaired and the catalog says what happened; storing the files and making MP3s goes on in the
 * background through the finalizer and the MP3 stage.
 */
export async function recoverSpool(deps: SpoolRecoveryDeps): Promise<RecoverySummary> {
  const { catalog, spoolDir, logger } = deps;
  const summary: RecoverySummary = { partial: 0, resumed: 0, adopted: 0, failed: 0, orphans: 0, mp3Requeued: 0, uploadsQueued: 0 };
  const unfinished = catalog.interactions.unfinished();
  const spooled = new Set<string>();
  for (const name of await list(spoolDir)) {
    const m = SPOOL_WAV.exec(name);
    if (m) spooled.add(m[1]!);
  }
  // The MP3 queue first: the spool files handed on below queue themselves again.
  const adopted = await recoverMp3Queue(deps, spooled, summary);

  // One entry that cannot be recovered is logged and skipped: it must not keep the recorder from
  // taking new calls (the next start tries it again).
  for (const id of spooled) {
    const path = join(spoolDir, `${id}.wav`);
    try {
      const it = catalog.interactions.get(id, ALL);
      if (!it) {
        summary.orphans++;
        logger.warn({ spool: path }, 'spool file without a catalog entry: kept for an operator, not stored');
      } else if (it.status === 'recording' || it.status === 'pending') {
        await recoverSpoolFile(deps, it, path, summary);
      } else if (it.status === 'available' && it.files.some((f) => f.format === 'wav')) {
        await settleQueuedFile(deps, it, 'wav', path, summary);
      } else {
        logger.warn({ id, status: it.status, spool: path }, 'spool file left behind for a finished interaction: kept');
      }
    } catch (err) {
      logger.error({ err, id, spool: path }, 'cannot recover this spool file; kept, the next start tries again');
    }
  }

  // MP3s waiting for upload, or left behind by a crash right after theirs was verified.
  for (const name of await list(spoolDir)) {
    const id = SPOOL_MP3.exec(name)?.[1];
    if (!id) continue;
    const it = catalog.interactions.get(id, ALL);
    if (it) await settleQueuedFile(deps, it, 'mp3', join(spoolDir, name), summary).catch((err) => logger.error({ err, id }, 'cannot check this queued MP3'));
  }

  for (const it of unfinished) {
    if (spooled.has(it.id) || adopted.has(it.id)) continue;
    if (it.status === 'recording') {
      try {
        // Killed before the spool file was created, or the file was removed by hand.
        catalog.interactions.finish(it.id, { endTime: new Date(it.startTime), releaseCause: 'Failure', status: 'failed', streams: [] });
        summary.failed++;
        logger.warn({ id: it.id }, 'interaction was recording when the recorder stopped, but has no spool file: failed');
      } catch (err) {
        logger.error({ err, id: it.id }, 'cannot mark this interaction failed');
      }
    } else {
      logger.error({ id: it.id }, 'interaction was being stored when the recorder stopped and its file is in neither the spool nor the MP3 queue; left pending');
    }
  }
  const total = summary.partial + summary.resumed + summary.adopted + summary.failed + summary.orphans + summary.mp3Requeued + summary.uploadsQueued;
  if (total > 0) logger.warn(summary, 'recovered what the previous recorder left unfinished');
  return summary;
}

/**
 * A finished file in the spool: either queued for upload (left for the forwarder), or already
 * verified in the target when the recorder died before removing it (removed now). An MP3 with no
 * catalog row yet is kept: its queue link makes the next encode replace it.
 */
async function settleQueuedFile(deps: SpoolRecoveryDeps, it: Interaction, format: 'wav' | 'mp3', path: string, summary: RecoverySummary): Promise<void> {
  const file = it.files.find((f) => f.format === format);
  if (file?.location === 'spool') {
    summary.uploadsQueued++;
  } else if (file?.location === 'target') {
    await unlink(path).catch(() => undefined);
    deps.logger.info({ id: it.id, format, spool: path }, 'spool copy of a stored and verified file removed');
  }
}

async function recoverSpoolFile(deps: SpoolRecoveryDeps, it: Interaction, path: string, summary: RecoverySummary): Promise<void> {
  const { catalog, finalizer, logger } = deps;
  const startTime = new Date(it.startTime);
  let wav: RepairedWav;
  try {
    wav = await repairWav(path);
  } catch (err) {
    if (!(err instanceof UnreadableWavError)) {
      // I/O trouble may pass: leave the interaction as it is, the next start tries again.
      logger.error({ err, id: it.id, spool: path }, 'cannot repair spool file; will try again at the next start');
      return;
    }
    if (it.status === 'recording') catalog.interactions.finish(it.id, { endTime: startTime, releaseCause: 'Failure', status: 'failed', streams: [] });
    else catalog.interactions.setStatus(it.id, 'failed');
    summary.failed++;
    logger.error({ err, id: it.id, spool: path }, 'spool file is not a WAV: interaction failed, file kept for an operator');
    return;
  }
  if (wav.headerFixed || wav.truncatedBytes > 0) {
    logger.info({ id: it.id, dataBytes: wav.dataBytes, truncatedBytes: wav.truncatedBytes }, 'spool WAV header repaired');
  }
  if (it.status === 'recording') {
    // The call's real end is unknown; the recording ends where the audio on disk does.
    catalog.interactions.finish(it.id, {
      endTime: new Date(startTime.getTime() + wav.durationMs),
      releaseCause: 'Failure',
      status: 'pending',
      streams: [],
      partial: true,
    });
    summary.partial++;
    logger.warn({ id: it.id, durationMs: wav.durationMs }, 'the recorder stopped mid-call: storing the audio up to then as a partial recording');
  } else {
    // `pending`: the call had ended and its file was closed whole before the row said so; only
    // the hand-off to storage was cut short, so the recording is complete and keeps its end.
    summary.resumed++;
    logger.info({ id: it.id }, 'storing a finished recording the previous recorder had not stored');
  }
  void finalizer.finalize({ id: it.id, startTime, spoolPath: path, sampleRate: wav.sampleRate, channels: wav.channels, durationMs: wav.durationMs });
}

/**
 * Walks <spool>/mp3-queue: links of stored WAVs still waiting for their MP3 are queued again;
 * a link whose interaction is still `pending` marks a WAV that was moved into the media target
 * just before the crash, which is adopted. Everything else there (partial MP3 output, links of
 * files that are still in the spool) is derived data and removed. Returns the adopted ids.
 */
async function recoverMp3Queue(deps: SpoolRecoveryDeps, spooled: Set<string>, summary: RecoverySummary): Promise<Set<string>> {
  const { catalog, finalizer, mp3, logger } = deps;
  const dir = mp3QueueDir(deps.spoolDir);
  const adopted = new Set<string>();
  for (const name of await list(dir)) {
    const path = join(dir, name);
    const id = SPOOL_WAV.exec(name)?.[1];
    const it = id ? catalog.interactions.get(id, ALL) : null;
    try {
      // Still pending with its WAV in the spool: finalised again below, which queues it again.
      if (it?.status === 'pending' && !spooled.has(it.id)) {
        const wav = await inspectWav(path);
        await finalizer.adoptStored({ id: it.id, startTime: new Date(it.startTime), ...wav }, path);
        adopted.add(it.id);
        summary.adopted++;
        logger.warn({ id: it.id }, 'recording was stored but not entered in the catalog before the recorder stopped: entered now');
        continue;
      }
      const stored = it?.status === 'available' ? it.files.find((f) => f.format === 'wav') : undefined;
      if (mp3 && it && stored && !it.files.some((f) => f.format === 'mp3')) {
        const { sampleRate, channels, durationMs } = stored;
        void mp3.encode({ id: it.id, startTime: new Date(it.startTime), source: path, sampleRate, channels, durationMs });
        summary.mp3Requeued++;
        continue;
      }
    } catch (err) {
      logger.error({ err, id, path }, 'cannot recover this MP3 queue entry; removing it');
    }
    await unlink(path).catch(() => undefined);
  }
  return adopted;
}
