// The interaction list answers a filter in one of two ways: through the filter's own index when
// few calls match, or row by row along the sorted walk when many do (over 5,000 matches). Small
// test catalogs only ever take the first way; this one holds enough calls for both, and checks
// that each way returns exactly the matching calls, in order, across every page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Catalog, type AccessScope, type Interaction, type InteractionQuery } from '../../storage/catalog/index.js';

const ALL: AccessScope = { kind: 'all' };
const COMMON = 5200; // above the catalog's 5,000-match threshold
const RARE = 40;

test('common and rare party prefixes, tags and sorts return exactly their matches on every page', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sipvault-filter-paths-'));
  const catalog = Catalog.open(dir);
  t.after(() => {
    catalog.close();
    rmSync(dir, { recursive: true, force: true });
  });
  catalog.tags.create('Common');
  catalog.tags.create('Rare');
  const t0 = Date.UTC(2026, 0, 1);
  catalog.transaction(() => {
    for (let i = 0; i < COMMON + RARE + 300; i++) {
      // Common: +1732 numbers; rare: +1999 numbers; the rest: internal extensions.
      const called = i < COMMON ? `sip:+1732${String(i).padStart(7, '0')}@carrier` : i < COMMON + RARE ? `sip:+1999${String(i).padStart(7, '0')}@carrier` : `sip:${2000 + i}@pbx`;
      const start = new Date(t0 + ((i * 7919) % 100_000) * 1000);
      const id = catalog.interactions.create({
        callId: `c${i}@src`,
        sessionId: null,
        startTime: start,
        direction: 'None',
        callingParty: `sip:${1000 + (i % 50)}@pbx`,
        calledParty: called,
        participants: [
          { participantId: 'a', name: null, aor: `sip:${1000 + (i % 50)}@pbx`, role: 'calling' },
          { participantId: 'b', name: null, aor: called, role: 'called' },
        ],
        src: 'udp:10.0.0.5:5060',
        streams: [],
        partyRule: null,
      });
      catalog.interactions.finish(id, {
        endTime: new Date(start.getTime() + 1000 * (1 + (i % 600))),
        releaseCause: i % 10 === 0 ? 'Missed' : 'Normal',
        status: 'pending',
        streams: [],
      });
      if (i % 20 !== 0) catalog.interactions.addTag(id, 'Common');
      if (i % 97 === 0) catalog.interactions.addTag(id, 'Rare');
    }
  });

  const everything = (q: Omit<InteractionQuery, 'limit' | 'cursor'>, limit = 200): Interaction[] => {
    const out: Interaction[] = [];
    let cursor: string | undefined;
    do {
      const page = catalog.interactions.list({ ...q, limit, ...(cursor ? { cursor } : {}) }, ALL);
      out.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return out;
  };
  const all = everything({});
  const expect = (pred: (it: Interaction) => boolean) => all.filter(pred).map((i) => i.id);

  const common = everything({ answeringParty: '+1732*' });
  assert.deepEqual(
    common.map((i) => i.id),
    expect((i) => i.calledParty!.startsWith('sip:+1732') && i.releaseCause !== 'Missed'),
    'common prefix (row by row): every answered +1732 call, newest first',
  );
  assert.ok(common.length > 4000);
  const rare = everything({ calledParty: '+1999*' });
  assert.deepEqual(rare.map((i) => i.id), expect((i) => i.calledParty!.startsWith('sip:+1999')), 'rare prefix (through the index)');
  assert.equal(rare.length, RARE);
  assert.deepEqual(everything({ participant: '+1999*' }).map((i) => i.id), rare.map((i) => i.id));

  const tagged = (tag: string) => (i: Interaction) => i.tags.includes(tag);
  assert.deepEqual(everything({ tags: ['Common', 'Rare'] }).map((i) => i.id), expect((i) => tagged('Common')(i) || tagged('Rare')(i)), 'common tags (row by row)');
  assert.deepEqual(everything({ tags: ['Common'] }).map((i) => i.id), expect(tagged('Common')), 'a common tag (row by row)');
  assert.ok(all.filter(tagged('Common')).length > 5000);
  assert.deepEqual(everything({ tags: ['Rare'] }).map((i) => i.id), expect(tagged('Rare')), 'a rare tag (through the index)');

  // A sort other than start time with a common filter: keyset pages join up without gaps.
  const byDuration = everything({ answeringParty: '+1732*', sort: 'duration', order: 'asc' }, 97);
  assert.equal(byDuration.length, common.length);
  assert.equal(new Set(byDuration.map((i) => i.id)).size, common.length, 'no repeats');
  for (let k = 1; k < byDuration.length; k++) {
    const [a, b] = [byDuration[k - 1]!, byDuration[k]!];
    assert.ok(a.durationMs! < b.durationMs! || (a.durationMs === b.durationMs && a.id < b.id), `order at ${k}`);
  }
});
