import { join } from 'node:path';

/**
 * Where a finished file waits for its upload: <spool>/<id>.wav (the file the call was recorded
 * into, left where it is) and <spool>/<id>.mp3. Derived from the id, so the recorder, crash
 * recovery and the portal all find it without the catalog storing a path.
 */
export const queuedSpoolPath = (spoolDir: string, id: string, format: 'wav' | 'mp3'): string => join(spoolDir, `${id}.${format}`);
