// The storage health probe: write a small object, read it back, delete it. Run periodically by
// the recorder (an outage is noticed even when no call ends) and by `sipvault storage test`.
import { randomBytes, createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { MediaTarget } from './media-target.js';
import { verifyStored } from './verify.js';

/** Outside the date folders of recordings, so a retention sweep never meets a probe object. */
export const PROBE_PREFIX = 'sipvault-probe/';

export interface ProbeResult {
  key: string;
  ms: number;
}

/** Resolves with the time taken, or rejects with what failed (the object is cleaned up either way). */
export async function probeTarget(target: MediaTarget, scratchDir = tmpdir()): Promise<ProbeResult> {
  const t0 = performance.now();
  const dir = await mkdtemp(join(scratchDir, '.sipvault-probe-'));
  const data = randomBytes(4096);
  const key = `${PROBE_PREFIX}${Date.now()}-${randomBytes(4).toString('hex')}.bin`;
  const file = join(dir, 'probe.bin');
  try {
    await writeFile(file, data);
    await target.prepare();
    await target.put(file, key);
    try {
      await verifyStored(target, { key, bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') });
    } finally {
      await target.delete(key);
    }
    if (await target.stat(key)) throw new Error(`${key}: still in storage target ${target.name} after its deletion`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return { key, ms: performance.now() - t0 };
}
