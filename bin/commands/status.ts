// `sipvault status`: what an operator checks first, read from the catalog (never from the recorder process).
import { statfs } from 'node:fs/promises';
import { Catalog } from '../../storage/catalog/index.js';
import type { CommandContext } from '../cli.js';

export async function runStatus(ctx: CommandContext): Promise<number> {
  const catalog = Catalog.open(ctx.config.dataDir);
  try {
    const active = catalog.interactions.active({ kind: 'all' });
    const alarms = catalog.alarms.active();
    const target = ctx.config.storage.target;
    console.log(`active calls: ${active.length}`);
    for (const c of active) console.log(`  ${c.id}  ${c.startTime}  ${c.callingParty ?? '?'} -> ${c.calledParty ?? '?'}  (${c.src})`);
    console.log(`active alarms: ${alarms.length}`);
    for (const a of alarms) console.log(`  ${a.severity.toUpperCase()}  ${a.name}  ${a.source}  ${a.text}  since ${a.raisedAt}`);
    // The history the NOC got as traps: every raise, severity change and clear, newest first.
    const events = catalog.alarms.history(10);
    console.log(`recent alarm events: ${events.length}`);
    for (const e of events) console.log(`  ${e.at}  ${e.event.padEnd(6)}  ${e.severity.toUpperCase()}  ${e.name}  ${e.source}  ${e.text}`);
    if (target.type === 'local') {
      const fs = await statfs(target.path!).catch(() => statfs(ctx.config.dataDir));
      const free = (fs.bavail * fs.bsize) / 2 ** 30;
      const total = (fs.blocks * fs.bsize) / 2 ** 30;
      console.log(`storage: ${target.name} (local ${target.path}), ${free.toFixed(1)} GiB free of ${total.toFixed(1)} GiB`);
    } else {
      console.log(`storage: ${target.name} (s3 ${target.endPoint}:${target.port}/${target.bucket})`);
    }
    return 0;
  } finally {
    catalog.close();
  }
}
