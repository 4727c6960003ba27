// Catalog at scale: fills a catalog with N interactions (1,000,000 by default) through the same
// repository calls the recorder makes (create with linking and search indexing, finish, two file
// records, available), with realistic parties (internal extensions, E.164 numbers, names), tags
// and notes, then prints the insert rate, the file size, and p50/p95 latency of typical portal
// queries: a time range with a party prefix sorted by start (page of 50), a tag filter, a note
// word, a free-text prefix, a user's own calls, and one interaction by id.
//
//   node dist/bench/catalog-scale.js [--count 1000000] [--users 100] [--samples 200] [--work-dir DIR] [--keep]
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Catalog, CATALOG_FILE, type AccessScope, type InteractionQuery, type NewInteraction } from '../storage/catalog/index.js';

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

// Deterministic pseudo-random numbers: runs are comparable.
let seed = 42;
const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 0x100000000);
const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
const digits = (n: number) => String(Math.floor(rnd() * 10 ** n)).padStart(n, '0');

const FIRST = ['Adele', 'Alex', 'Bill', 'Christie', 'Diego', 'Grady', 'Henrietta', 'Isaiah', 'Johanna', 'Lee', 'Lidia', 'Lynne', 'Megan', 'Miriam', 'Nestor', 'Patti', 'Pradeep'];
const LAST = ['Vance', 'Wilber', 'Gates', 'Cline', 'Siciliani', 'Archie', 'Cheng', 'Langer', 'Lauer', 'Gu', 'Holloway', 'Robbins', 'Bowen', 'Graham', 'Wilke', 'Fernandez', 'Gupta'];
const AREAS = ['201', '212', '305', '415', '512', '609', '646', '702', '732', '818', '917', '973'];
const TAGS = ['SalesOrder', 'Marketing Positioning', 'Key Financials', 'Inventory Control', 'Help Desk', 'Executive Summary Call'];
const NOTE_WORDS = ['refund', 'escalate', 'invoice', 'renewal', 'complaint', 'callback', 'shipping', 'discount', 'contract', 'outage', 'upgrade', 'password'];
const DAY = 86_400_000;
const SPAN_DAYS = 365;
const END = Date.UTC(2026, 10, 24);
const START = END - SPAN_DAYS * DAY;

const internal = () => `sip:${1000 + Math.floor(rnd() * 9000)}@pbx.example.com`;
const external = () => `sip:+1${pick(AREAS)}${digits(7)}@carrier.example.net`;

function newCall(i: number): NewInteraction {
  const startMs = START + Math.floor((i / count) * SPAN_DAYS * DAY) + Math.floor(rnd() * 60_000);
  const outgoing = rnd() < 0.5;
  const inside = internal();
  const outside = rnd() < 0.8 ? external() : internal();
  const [calling, called] = outgoing ? [inside, outside] : [outside, inside];
  const name = () => (rnd() < 0.6 ? `${pick(FIRST)} ${pick(LAST)}` : null);
  return {
    callId: `${digits(8)}-${digits(4)}-${i}@sbc.example.com`,
    sessionId: `${digits(12)}${i}`,
    startTime: new Date(startMs),
    direction: 'None',
    callingParty: calling,
    calledParty: called,
    participants: [
      { participantId: `p${i}a`, name: name(), aor: calling, role: 'calling' },
      { participantId: `p${i}b`, name: name(), aor: called, role: 'called' },
    ],
    src: 'udp:10.0.0.5:5060',
    streams: [
      { label: '1', participantId: `p${i}a`, channel: 0, codec: 'PCMU', mixed: false },
      { label: '2', participantId: `p${i}b`, channel: 1, codec: 'PCMU', mixed: false },
    ],
    partyRule: 'metadata-send-recv',
    retentionDays: 365,
  };
}

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
  // Users own the extensions 1000..1000+users-1: about 1% of internal parties are a portal user.
  const userIds: number[] = [];
  for (let u = 0; u < userCount; u++) {
    userIds.push(catalog.users.add({ username: `user${u}`, password: 'bench-password', role: 'user', extensions: [String(1000 + u)] }).id);
  }

  const BATCH = 1000;
  const ids: string[] = [];
  const t0 = performance.now();
  let last = t0;
  for (let i = 0; i < count; i += BATCH) {
    catalog.transaction(() => {
      for (let j = i; j < Math.min(count, i + BATCH); j++) {
        const n = newCall(j);
        const id = catalog.interactions.create(n);
        const end = new Date(n.startTime.getTime() + 20_000 + Math.floor(rnd() * 600_000));
        catalog.interactions.finish(id, {
          endTime: end,
          releaseCause: 'Normal',
          status: 'pending',
          streams: n.streams.map((s) => ({ ...s, packets: 15_000, lost: Math.floor(rnd() * 20), jitterMs: rnd() * 5 })),
        });
        for (const format of ['wav', 'mp3'] as const) {
          catalog.interactions.attachFile(id, {
            format,
            key: `2026/01/01/${id}.${format}`,
            bytes: 1_000_000,
            sha256: 'ab'.repeat(32),
            sampleRate: 8000,
            channels: 2,
            durationMs: end.getTime() - n.startTime.getTime(),
          });
        }
        catalog.interactions.setStatus(id, 'available');
        if (rnd() < 0.2) catalog.interactions.addTag(id, pick(TAGS));
        if (rnd() < 0.1) {
          catalog.interactions.addNote(id, { authorId: null, author: 'admin', text: `Customer ${pick(NOTE_WORDS)} about ${pick(NOTE_WORDS)}, follow up ${pick(NOTE_WORDS)}` });
        }
        if (j % 97 === 0) ids.push(id);
      }
    });
    await new Promise((r) => setImmediate(r)); // lets a Ctrl-C in between batches
    const now = performance.now();
    if (now - last > 10_000) {
      console.error(`${i + BATCH} interactions, ${Math.round((i + BATCH) / ((now - t0) / 1000))}/s`);
      last = now;
    }
  }
  const insertSec = (performance.now() - t0) / 1000;
  catalog.close(); // checkpoints the WAL: the size below is the file itself
  const bytes = fileBytes(dataDir);
  catalog = Catalog.open(dataDir);

  const ALL: AccessScope = { kind: 'all' };
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
