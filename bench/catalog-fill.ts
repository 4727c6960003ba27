// Fills a catalog with realistic recorded calls through the same repository calls the recorder
// makes (create with linking and search indexing, answer time, finish, two file records,
// available), plus tags and notes as operators add them. Shared by bench/catalog-scale.ts (the
// catalog's own query latency) and bench/portal-api.ts (the same over HTTP).
import { CALL_TYPES, type Catalog, type NewInteraction, type ReleaseCause } from '../storage/catalog/index.js';

// Deterministic pseudo-random numbers: runs are comparable.
let seed = 42;
export const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 0x100000000);
export const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
export const digits = (n: number) => String(Math.floor(rnd() * 10 ** n)).padStart(n, '0');

export const FIRST = ['Adele', 'Alex', 'Bill', 'Christie', 'Diego', 'Grady', 'Henrietta', 'Isaiah', 'Johanna', 'Lee', 'Lidia', 'Lynne', 'Megan', 'Miriam', 'Nestor', 'Patti', 'Pradeep'];
export const LAST = ['Vance', 'Wilber', 'Gates', 'Cline', 'Siciliani', 'Archie', 'Cheng', 'Langer', 'Lauer', 'Gu', 'Holloway', 'Robbins', 'Bowen', 'Graham', 'Wilke', 'Fernandez', 'Gupta'];
export const AREAS = ['201', '212', '305', '415', '512', '609', '646', '702', '732', '818', '917', '973'];
export const TAGS = ['SalesOrder', 'Marketing Positioning', 'Key Financials', 'Inventory Control', 'Help Desk', 'Executive Summary Call'];
export const NOTE_WORDS = ['refund', 'escalate', 'invoice', 'renewal', 'complaint', 'callback', 'shipping', 'discount', 'contract', 'outage', 'upgrade', 'password'];
export const DAY = 86_400_000;
export const SPAN_DAYS = 365;
export const END = Date.UTC(2026, 10, 24);
export const START = END - SPAN_DAYS * DAY;

// Seed 000 release causes, most calls answered and released normally.
const CAUSES: Array<[ReleaseCause, number]> = [['Normal', 0.8], ['Missed', 0.08], ['Abandoned', 0.06], ['Failure', 0.03], ['Transferred', 0.03]];

const internal = () => `sip:${1000 + Math.floor(rnd() * 9000)}@pbx.example.com`;
const external = () => `sip:+1${pick(AREAS)}${digits(7)}@carrier.example.net`;

function cause(): ReleaseCause {
  let x = rnd();
  for (const [c, p] of CAUSES) if ((x -= p) < 0) return c;
  return 'Normal';
}

export function newCall(i: number, count: number): NewInteraction {
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
    callType: outside.includes('carrier') ? 'PSTN p2p' : pick(CALL_TYPES),
  };
}

export interface FillResult {
  userIds: number[];
  /** Every 97th interaction id (for lookups by id). */
  sampleIds: string[];
  insertSec: number;
}

/**
 * Writes `count` calls (1,000 per transaction) and `users` portal users owning the extensions
 * 1000.. (about 1 % of internal parties are a portal user).
 */
export async function fillCatalog(catalog: Catalog, count: number, users: number): Promise<FillResult> {
  const userIds: number[] = [];
  for (let u = 0; u < users; u++) {
    userIds.push(catalog.users.add({ username: `user${u}`, password: 'bench-password', role: 'user', extensions: [String(1000 + u)] }).id);
  }
  const BATCH = 1000;
  const sampleIds: string[] = [];
  const t0 = performance.now();
  let last = t0;
  for (let i = 0; i < count; i += BATCH) {
    catalog.transaction(() => {
      for (let j = i; j < Math.min(count, i + BATCH); j++) {
        const n = newCall(j, count);
        const id = catalog.interactions.create(n);
        const releaseCause = cause();
        const answered = releaseCause !== 'Missed' && releaseCause !== 'Abandoned';
        const startMs = n.startTime.getTime();
        const answerMs = startMs + 2_000 + Math.floor(rnd() * 20_000);
        if (answered) catalog.interactions.setAnswerTime(id, new Date(answerMs));
        const end = new Date(answered ? answerMs + 10_000 + Math.floor(rnd() * 600_000) : startMs + 5_000 + Math.floor(rnd() * 25_000));
        catalog.interactions.finish(id, {
          endTime: end,
          releaseCause,
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
            durationMs: end.getTime() - startMs,
          });
        }
        catalog.interactions.setStatus(id, 'available');
        if (rnd() < 0.2) catalog.interactions.addTag(id, pick(TAGS));
        if (rnd() < 0.1) {
          catalog.interactions.addNote(id, { authorId: null, author: 'admin', text: `Customer ${pick(NOTE_WORDS)} about ${pick(NOTE_WORDS)}, follow up ${pick(NOTE_WORDS)}` });
        }
        if (j % 97 === 0) sampleIds.push(id);
      }
    });
    await new Promise((r) => setImmediate(r)); // lets a Ctrl-C in between batches
    const now = performance.now();
    if (now - last > 10_000) {
      console.error(`${i + BATCH} interactions, ${Math.round((i + BATCH) / ((now - t0) / 1000))}/s`);
      last = now;
    }
  }
  return { userIds, sampleIds, insertSec: (performance.now() - t0) / 1000 };
}
