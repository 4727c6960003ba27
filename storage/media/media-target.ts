// Where finished recordings live. Local disk now; S3/MinIO targets implement the same interface.

export interface StoredObject {
  key: string;
  bytes: number;
}

export interface MediaTarget {
  /** Friendly name shown in alarms and the portal. */
  readonly name: string;
  /** Moves a finished spool file into the target under `key`; the spool copy is gone afterwards. */
  put(localPath: string, key: string): Promise<StoredObject>;
  /** Removes the object under `key` (retention, deletion); an object already gone is not an error. */
  delete(key: string): Promise<void>;
}

/** 2026/11/24/<id>.wav: one folder per day keeps directories small and retention sweeps cheap. */
export function mediaKey(startTime: Date, id: string, format: 'wav' | 'mp3'): string {
  const y = startTime.getUTCFullYear();
  const m = String(startTime.getUTCMonth() + 1).padStart(2, '0');
  const d = String(startTime.getUTCDate()).padStart(2, '0');
  return `${y}/${m}/${d}/${id}.${format}`;
}
