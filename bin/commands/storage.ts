// `sipvault storage test`: the storage health probe on demand (write, read back, delete a small
// object in the configured target). Exit 0 with one OK line, or 1 with what failed and the key to fix.
import { mkdir } from 'node:fs/promises';
import { openMediaTarget } from '../../storage/media/open-target.js';
import { probeTarget } from '../../storage/media/probe.js';
import type { CommandContext } from '../cli.js';

export async function runStorage(ctx: CommandContext): Promise<number> {
  const [sub] = ctx.args;
  if (sub !== 'test') {
    console.error('usage: sipvault storage test [--config F]');
    return 2;
  }
  const target = openMediaTarget(ctx.config);
  try {
    // The scratch file lives next to the spool: same filesystem the recorder uploads from.
    await mkdir(ctx.config.dataDir, { recursive: true });
    const r = await probeTarget(target, ctx.config.dataDir);
    console.log(`storage ${target.name} (${target.description}): OK, wrote, read back and deleted a test object in ${Math.round(r.ms)} ms`);
    return 0;
  } catch (err) {
    console.error(`storage ${target.name} (${target.description}): FAILED: ${(err as Error).message}`);
    return 1;
  }
}
