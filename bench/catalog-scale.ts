// Catalog at scale: fills a catalog with N interactions (1,000,000 by default) through the same
// repository calls the recorder makes (create with linking and search indexing, finish, two file
// records, available), with realistic parties (internal extensions, E.164 numbers, names), tags
// and notes, then prints the insert rate, the file size, and p50/p95 latency of typical portal
// queries: a time range with a party prefix sorted by start (page of 50), a tag filter, a note
// word, a free-text prefix, a user's own calls, a supervisor's group calls, every assigned call,
// and one interaction by id.
//
//   node dist/bench/catalog-scale.js [--count 1000000] [--users 100] [--samples 200] [--work-dir DIR] [--keep]
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Catalog, CATALOG_FILE, type AccessScope, type InteractionQuery } from '../storage/catalog/index.js';
import { AREAS, DAY, LAST, NOTE_WORDS, SPAN_DAYS, START, TAGS, digits, fillCatalog, pick, rnd } from './catalog-fill.js';

const { values: opt } = parseArgs({
  options: {
    count: { type: 'string', default: '1000000' },
    users: { type: 'string', default: '100' },
    samples: { type: 'string', default: '200' },
    'work-dir': { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const count = Number(opt.count);
const userCount = Number(opt.users);
const samples = Number(opt.samples);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function fileBytes(dir: string): number {
  let total = 0;
  for (const suffix of ['', '-wal', '-shm']) {
    try {
      total += statSync(join(dir, CATALOG_FILE + suffix)).size;
    } catch {
      /* absent */
    }
  }
  return total;
}

const work = mkdtempSync(join(opt['work-dir'] ?? tmpdir(), 'sipvault-catalog-scale-'));
const dataDir = join(work, 'data');
let catalog = Catalog.open(dataDir);
// Ctrl-C or a kill leaves nothing behind either.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    catalog.close();
    if (!opt.keep) rmSync(work, { recursive: true, force: true });
    process.exit(130);
  });
}
try {
  const { userIds, sampleIds: ids, insertSec } = await fillCatalog(catalog, count, userCount);
  catalog.close(); // checkpoints the WAL: the size below is the file itself
  const bytes = fileBytes(dataDir);
  catalog = Catalog.open(dataDir);

  const ALL: AccessScope = { kind: 'all' };
  // Supervisors: one manages a team of 10 users, one the whole floor (every user).
  const team = catalog.groups.create({ name: 'Team', members: userIds.slice(0, 10) });
  const floor = catalog.groups.create({ name: 'Floor', members: userIds });
  const teamLead = catalog.users.add({ username: 'teamlead', password: 'bench-password', role: 'supervisor', extensions: [], managedGroups: [team.id] }).id;
  const floorLead = catalog.users.add({ username: 'floorlead', password: 'bench-password', role: 'supervisor', extensions: [], managedGroups: [floor.id] }).id;
  const range = () => {
    const from = START + Math.floor(rnd() * (SPAN_DAYS - 7)) * DAY;
    return { from: new Date(from), to: new Date(from + 7 * DAY) };
  };
  const queries: Record<string, () => [InteractionQuery, AccessScope]> = {
    'time range + party prefix (7 days, +1<area>*), page of 50': () => [{ limit: 50, ...range(), party: `+1${pick(AREAS)}*` }, ALL],
    'time range + party prefix (7 days, +1<area><3 digits>*), page of 50': () => [{ limit: 50, ...range(), party: `+1${pick(AREAS)}${digits(3)}*` }, ALL],
    'time range + internal extension (7 days, exact), page of 50': () => [{ limit: 50, ...range(), party: String(1000 + Math.floor(rnd() * 9000)) }, ALL],
    'tag filter, page of 50': () => [{ limit: 50, tag: pick(TAGS) }, ALL],
    'tag filter + time range (7 days), page of 50': () => [{ limit: 50, tag: pick(TAGS), ...range() }, ALL],
    'note word, page of 50': () => [{ limit: 50, note: pick(NOTE_WORDS) }, ALL],
    'free text q=<name> <area>* , page of 50': () => [{ limit: 50, q: `${pick(LAST)} ${pick(AREAS)}*` }, ALL],
    "a user's own calls (scope), page of 50": () => [{ limit: 50 }, { kind: 'user', userId: pick(userIds) }],
    "a supervisor's team calls (group scope, 10 users), page of 50": () => [{ limit: 50 }, { kind: 'group', userId: teamLead }],
    "a supervisor's floor calls (group scope, every user), page of 50": () => [{ limit: 50 }, { kind: 'group', userId: floorLead }],
    'all assigned calls (Access All Calls, not an admin), page of 50': () => [{ limit: 50 }, { kind: 'assigned' }],
    'newest page, no filter': () => [{ limit: 50 }, ALL],
  };
  const results: Record<string, { p50: number; p95: number; max: number; avgItems: number }> = {};
  for (const [name, make] of Object.entries(queries)) {
    const ms: number[] = [];
    let items = 0;
    for (let k = 0; k < samples; k++) {
      const [q, scope] = make();
      const t = performance.now();
      items += catalog.interactions.list(q, scope).items.length;
      ms.push(performance.now() - t);
    }
    ms.sort((a, b) => a - b);
    results[name] = { p50: round(percentile(ms, 50)), p95: round(percentile(ms, 95)), max: round(ms[ms.length - 1]!), avgItems: round(items / samples) };
  }
  {
    const ms: number[] = [];
    for (let k = 0; k < samples; k++) {
      const t = performance.now();
      catalog.interactions.get(pick(ids), ALL);
      ms.push(performance.now() - t);
    }
    ms.sort((a, b) => a - b);
    results['one interaction by id'] = { p50: round(percentile(ms, 50)), p95: round(percentile(ms, 95)), max: round(ms[ms.length - 1]!), avgItems: 1 };
  }

  console.log(`interactions: ${count}, users: ${userCount}`);
  console.log(`insert: ${Math.round(count / insertSec)}/s (${insertSec.toFixed(1)} s, each with create+link+index, finish, 2 files, available; 20% tagged, 10% noted)`);
  console.log(`catalog file: ${(bytes / 2 ** 20).toFixed(0)} MiB (${Math.round(bytes / count)} bytes per interaction)`);
  for (const [name, r] of Object.entries(results)) console.log(`${name.padEnd(70)} p50 ${String(r.p50).padStart(7)} ms  p95 ${String(r.p95).padStart(7)} ms  (avg ${r.avgItems} rows)`);
  console.log(JSON.stringify({ bench: 'catalog-scale', count, users: userCount, insertPerSec: Math.round(count / insertSec), bytes, bytesPerInteraction: Math.round(bytes / count), queries: results }));
} finally {
  catalog.close();
  if (!opt.keep) rmSync(work, { recursive: true, force: true });
  else console.error(`kept ${work}`);
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
