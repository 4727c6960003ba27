import { setTimeout as sleep } from 'node:timers/promises';

/** Pauses between attempts of a write refused with SQLITE_BUSY (about 21 s in all, plus busy_timeout each). */
const BUSY_RETRY_MS = [50, 100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000];

export const isBusy = (err: unknown): boolean => {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
};

/**
 * Runs a catalog write, trying again a little later while another process (the portal) holds
 * the write lock past busy_timeout. Given up at once, the call it records would be left half done
 * until the next start. Other errors, and the last refusal, are thrown.
 */
export async function retryWhileBusy<T>(write: () => T, onBusy: (attempt: number, err: unknown) => void): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return write();
    } catch (err) {
      if (!isBusy(err) || attempt >= BUSY_RETRY_MS.length) throw err;
      onBusy(attempt + 1, err);
      await sleep(BUSY_RETRY_MS[attempt]);
    }
  }
}
