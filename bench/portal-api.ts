// The portal's interaction search over HTTP at catalog scale: fills (or reuses) a catalog of
// 1,000,000 interactions with bench/catalog-fill.ts, starts the real portal (buildPortal) on a
// local port, logs in, and times real GET /api/v1/interactions requests with typical seed 000
// filters and sorts (fetch to last body byte, JSON parsing included), then prints p50/p95/max
// per query and over all of them, and one JSON line.
//
//   node dist/bench/portal-api.js [--count 1000000] [--users 100] [--samples 100] [--data-dir DIR] [--work-dir DIR] [--keep]
//
// --data-dir reuses a catalog directory filled before (e.g. `catalog-scale --keep`'s <dir>/data).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { AddressInfo } from 'node:net';
import { buildConfig } from '../config/loader.js';
import { createLogger } from '../config/logger.js';
import { buildPortal } from '../portal/server.js';
import { Catalog, CATALOG_FILE, DuplicateUsernameError } from '../storage/catalog/index.js';
import { AREAS, DAY, FIRST, NOTE_WORDS, SPAN_DAYS, START, TAGS, digits, fillCatalog, pick, rnd } from './catalog-fill.js';

const { values: opt } = parseArgs({
  options: {
    count: { type: 'string', default: '1000000' },
    users: { type: 'string', default: '100' },
    samples: { type: 'string', default: '100' },
    'data-dir': { type: 'string' },
    'work-dir': { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const samples = Number(opt.samples);

const work = opt['data-dir'] ? null : mkdtempSync(join(opt['work-dir'] ?? tmpdir(), 'sipvault-portal-api-'));
const dataDir = opt['data-dir'] ?? join(work!, 'data');
const reuse = existsSync(join(dataDir, CATALOG_FILE));

const t0 = performance.now();
const catalog = Catalog.open(dataDir); // migrates an older catalog (timed below)
const openSec = (performance.now() - t0) / 1000;
let fillInfo = '';
if (!reuse) {
  const r = await fillCatalog(catalog, Number(opt.count), Number(opt.users));
  fillInfo = `filled ${opt.count} in ${r.insertSec.toFixed(0)} s`;
}
const total = catalog.status.counts(new Date(0)).started;
for (const [username, role] of [['bench-admin', 'admin']] as const) {
  try {
    catalog.users.add({ username, password: 'bench-password', role, extensions: [] });
  } catch (err) {
    if (!(err instanceof DuplicateUsernameError)) throw err;
  }
}

const config = buildConfig({ dataDir, portal: { listen: '127.0.0.1:0' }, storage: { target: { type: 'local', name: 'Local', path: join(dataDir, 'media') } } }, 'bench');
const app = await buildPortal({ config, catalog, logger: createLogger('silent') });
await app.listen({ host: '127.0.0.1', port: 0 });
const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/api/v1`;

async function login(username: string): Promise<string> {
  const res = await fetch(`${base}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: 'bench-password' }) });
  if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${await res.text()}`);
  return res.headers.getSetCookie()[0]!.split(';')[0]!;
}

try {
  const admin = await login('bench-admin');
  const userCookies = await Promise.all([0, 1, 2, 3].map((u) => login(`user${u}`)));
  const week = () => {
    const from = START + Math.floor(rnd() * (SPAN_DAYS - 7)) * DAY;
    return `from=${new Date(from).toISOString()}&to=${new Date(from + 7 * DAY).toISOString()}`;
  };
  const month = () => {
    const from = START + Math.floor(rnd() * (SPAN_DAYS - 30)) * DAY;
    return `from=${new Date(from).toISOString()}&to=${new Date(from + 30 * DAY).toISOString()}`;
  };
  const enc = encodeURIComponent;
  let lastCursor: string | null = null;
  const queries: Record<string, () => [string, string]> = {
    'newest page, no filter': () => ['', admin],
    '7 days + callingParty +1<area>* (prefix)': () => [`${week()}&callingParty=${enc(`+1${pick(AREAS)}*`)}`, admin],
    '7 days + calledParty <extension> (exact)': () => [`${week()}&calledParty=${1000 + Math.floor(rnd() * 9000)}`, admin],
    '7 days + callingParty *<name> (contains)': () => [`${week()}&callingParty=${enc(`*${pick(FIRST)}`)}`, admin],
    '7 days + answeringParty <area><3 digits>*': () => [`${week()}&answeringParty=${enc(`+1${pick(AREAS)}${digits(3)}*`)}`, admin],
    '30 days + status + direction + release cause Missed': () => [`${month()}&status=available&direction=None&releaseCause=Missed`, admin],
    '30 days + call type Internal p2p, sorted by duration desc': () => [`${month()}&callType=${enc('Internal p2p')}&sort=duration&order=desc`, admin],
    '7 days + duration >= 5 min, sorted by calling party asc': () => [`${week()}&minDuration=300&sort=callingParty&order=asc`, admin],
    'tag (any of two)': () => [`tag=${enc(pick(TAGS))}&tag=${enc(pick(TAGS))}`, admin],
    'note word (whole word)': () => [`note=${pick(NOTE_WORDS)}`, admin],
    'longest calls overall (sort duration desc)': () => ['sort=duration&order=desc', admin],
    "a user's own calls (scope), newest": () => ['', pick(userCookies)],
    "a user's own calls, mine=true + 30 days + sort duration": () => [`mine=true&${month()}&sort=duration&order=desc`, pick(userCookies)],
    'next page (cursor) of the newest': () => [lastCursor ? `cursor=${lastCursor}` : '', admin],
  };
  const results: Record<string, { p50: number; p95: number; max: number; avgItems: number }> = {};
  const every: number[] = [];
  for (const [name, make] of Object.entries(queries)) {
    const ms: number[] = [];
    let items = 0;
    for (let k = 0; k < samples + 3; k++) {
      const [qs, cookie] = make();
      const t = performance.now();
      const res = await fetch(`${base}/interactions?limit=50${qs ? `&${qs}` : ''}`, { headers: { cookie } });
      const body = (await res.json()) as { items: unknown[]; nextCursor: string | null; message?: string };
      const elapsed = performance.now() - t;
      if (res.status !== 200) throw new Error(`${name}: ${res.status} ${body.message}`);
      if (name === 'newest page, no filter') lastCursor = body.nextCursor;
      if (k < 3) continue; // warm-up: statements prepared, pages cached
      ms.push(elapsed);
      every.push(elapsed);
      items += body.items.length;
    }
    ms.sort((a, b) => a - b);
    results[name] = { p50: round(pct(ms, 50)), p95: round(pct(ms, 95)), max: round(ms[ms.length - 1]!), avgItems: round(items / samples) };
  }
  every.sort((a, b) => a - b);
  console.log(`catalog: ${total} interactions (${reuse ? 'reused' : fillInfo}); opened and migrated in ${openSec.toFixed(1)} s; ${samples} HTTP requests per query, page of 50`);
  for (const [name, r] of Object.entries(results)) console.log(`${name.padEnd(58)} p50 ${String(r.p50).padStart(7)} ms  p95 ${String(r.p95).padStart(7)} ms  max ${String(r.max).padStart(7)} ms  (avg ${r.avgItems} rows)`);
  console.log(`${'all queries'.padEnd(58)} p50 ${String(round(pct(every, 50))).padStart(7)} ms  p95 ${String(round(pct(every, 95))).padStart(7)} ms`);
  console.log(JSON.stringify({ bench: 'portal-api', interactions: total, samples, p50: round(pct(every, 50)), p95: round(pct(every, 95)), queries: results }));
} finally {
  await app.close();
  catalog.close();
  if (work && !opt.keep) rmSync(work, { recursive: true, force: true });
  else if (work) console.error(`kept ${work}`);
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
