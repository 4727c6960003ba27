// Where finished recordings live: local disk or an S3/MinIO bucket behind one interface. The
// recorder's spool-and-forward copies each spool file in (put), reads it back to verify it
// (stat + read), and only then drops the spool copy; the portal plays from here (ranged read).
import type { Readable } from 'node:stream';

export interface StoredObject {
  key: string;
  bytes: number;
}

/** Inclusive byte offsets, as in an HTTP Range. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface MediaTarget {
  /** Friendly name shown in alarms and the portal. */
  readonly name: string;
  /** One line for logs and the CLI: "s3 minio.example:9000/recordings", "local /var/lib/sipvault/media". */
  readonly description: string;
  /** Makes the target usable (creates the bucket or folder if missing); throws StorageTargetError. */
  prepare(): Promise<void>;
  /**
   * Copies a local file in under `key`, replacing what is there (keys are deterministic, so a
   * retried upload is an overwrite, never a second copy). The local file is left alone.
   */
  put(localPath: string, key: string): Promise<StoredObject>;
  /** Size of the object under `key`, or null when there is none. */
  stat(key: string): Promise<StoredObject | null>;
  /** The object's bytes, or the bytes of `range`. */
  read(key: string, range?: ByteRange): Promise<Readable>;
  /** Removes the object under `key` (retention, deletion); an object already gone is not an error. */
  delete(key: string): Promise<void>;
  /** Where the object under `key` is on this machine's disk, for a target that keeps files locally. */
  localPath?(key: string): string;
}

/**
 * A target failure with a message an operator can act on, naming the config key to look at.
 * `unreachable` tells an outage (queue and retry) from a refusal (wrong key, no such bucket).
 */
export class StorageTargetError extends Error {
  constructor(
    message: string,
    readonly unreachable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StorageTargetError';
  }
}

/** 2026/11/24/<id>.wav: one folder per day keeps directories small and retention sweeps cheap. */
export function mediaKey(startTime: Date, id: string, format: 'wav' | 'mp3'): string {
  const y = startTime.getUTCFullYear();
  const m = String(startTime.getUTCMonth() + 1).padStart(2, '0');
  const d = String(startTime.getUTCDate()).padStart(2, '0');
  return `${y}/${m}/${d}/${id}.${format}`;
}
