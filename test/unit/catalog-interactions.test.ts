import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Catalog,
  InvalidCursorError,
  aorUserPart,
  type AccessScope,
  type NewInteraction,
  type Participant,
} from '../../storage/catalog/index.js';

const ALL: AccessScope = { kind: 'all' };

function openCatalog(t: TestContext): Catalog {
  const dir = mkdtempSync(join(tmpdir(), 'sipvault-catalog-'));
  const catalog = Catalog.open(dir);
  t.after(() => {
    catalog.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return catalog;
}

function party(aor: string | null, role: Participant['role'], name: string | null = null, id = role): Participant {
  return { participantId: `${id}-${aor ?? name}`, name, aor, role };
}

function call(over: Partial<NewInteraction> = {}): NewInteraction {
  return {
    callId: `call-${Math.random().toString(16).slice(2)}@src`,
    sessionId: null,
    startTime: new Date('2026-11-24T10:00:00Z'),
    direction: 'Incoming',
    callingParty: 'sip:100@pbx',
    calledParty: 'sip:200@pbx',
    participants: [party('sip:100@pbx', 'calling'), party('sip:200@pbx', 'called')],
    src: 'udp:10.0.0.5:5060',
    streams: [
      { label: '1', participantId: 'calling-sip:100@pbx', channel: 0, codec: 'PCMU', mixed: false },
      { label: '2', participantId: 'called-sip:200@pbx', channel: 1, codec: 'PCMU', mixed: false },
    ],
    partyRule: 'metadata-send-recv',
    ...over,
  };
}

test('aorUserPart takes the user part of every address shape SRCs send', () => {
  assert.equal(aorUserPart('sip:+15551234@host;user=phone'), '+15551234');
  assert.equal(aorUserPart('+15551234@host'), '+15551234');
  assert.equal(aorUserPart('"Bill" <sips:732@pbx:5061>;tag=x'), '732');
  assert.equal(aorUserPart('tel:+15551234;phone-context=example.com'), '+15551234');
  assert.equal(aorUserPart('732'), '732');
  assert.equal(aorUserPart('sip:pbx.example.com'), null);
  assert.equal(aorUserPart(null), null);
});

test('create, updateParties, finish, attachFile, setStatus and get round-trip every field', (t) => {
  const catalog = openCatalog(t);
  const start = new Date('2026-11-24T10:00:00.250Z');
  const id = catalog.interactions.create(call({ callId: 'abc@src', sessionId: 'sess-1', startTime: start }));
  assert.match(id, /^[0-9a-f]{24}$/);
  assert.equal(parseInt(id.slice(0, 8), 16), Math.floor(start.getTime() / 1000), 'id starts with the unix seconds');

  let it = catalog.interactions.get(id, ALL);
  assert.ok(it);
  assert.equal(it.status, 'recording');
  assert.equal(it.endTime, null);
  assert.equal(it.startTime, start.toISOString());
  assert.deepEqual(
    it.streams.map((s) => [s.label, s.channel, s.codec, s.packets]),
    [
      ['1', 0, 'PCMU', 0],
      ['2', 1, 'PCMU', 0],
    ],
  );

  catalog.interactions.updateParties(id, {
    callingParty: 'sip:300@pbx',
    calledParty: 'sip:400@pbx',
    participants: [party('sip:300@pbx', 'calling', 'Carol'), party('400@pbx', 'called', 'Dan'), party(null, 'other', 'Eve')],
    direction: 'Outgoing',
    partyRule: 'from-to',
  });
  catalog.interactions.finish(id, {
    endTime: new Date(start.getTime() + 61_500),
    releaseCause: 'Normal',
    status: 'pending',
    streams: [
      // Quality fields are stored when given; a caller without them (crash recovery) stores zeros and no MOS.
      { label: '1', participantId: 'p1', channel: 0, codec: 'PCMA', packets: 3075, lost: 2, jitterMs: 1.5, mixed: false, expected: 3077, lossRate: 0.0006, maxLossRate20s: 0.002, duplicates: 1, reordered: 3, late: 1, jitterMaxMs: 4.5, concealedMs: 60, concealedRatio: 0.001, estMos: 4.38 },
      { label: '3', participantId: 'p3', channel: 1, codec: 'G722', packets: 3070, lost: 0, jitterMs: 0.25, mixed: true },
    ],
  });
  const file = {
    format: 'wav' as const,
    key: '2026/11/24/x.wav',
    bytes: 1964,
    sha256: 'ab'.repeat(32),
    sampleRate: 8000,
    channels: 2,
    durationMs: 61_500,
  };
  catalog.interactions.attachFile(id, file);
  catalog.interactions.setStatus(id, 'available');
  catalog.interactions.addTag(id, 'complaint');

  it = catalog.interactions.get(id, ALL);
  assert.deepEqual(it, {
    id,
    callId: 'abc@src',
    sessionId: 'sess-1',
    startTime: start.toISOString(),
    endTime: new Date(start.getTime() + 61_500).toISOString(),
    durationMs: 61_500,
    direction: 'Outgoing',
    callingParty: 'sip:300@pbx',
    calledParty: 'sip:400@pbx',
    participants: [
      { participantId: 'calling-sip:300@pbx', name: 'Carol', aor: 'sip:300@pbx', role: 'calling' },
      { participantId: 'called-400@pbx', name: 'Dan', aor: '400@pbx', role: 'called' },
      { participantId: 'other-Eve', name: 'Eve', aor: null, role: 'other' },
    ],
    status: 'available',
    releaseCause: 'Normal',
    partial: false,
    failureReason: null,
    src: 'udp:10.0.0.5:5060',
    streams: [
      { label: '1', participantId: 'p1', channel: 0, mixed: false, codec: 'PCMA', packets: 3075, lost: 2, jitterMs: 1.5, expected: 3077, lossRate: 0.0006, maxLossRate20s: 0.002, duplicates: 1, reordered: 3, late: 1, jitterMaxMs: 4.5, concealedMs: 60, concealedRatio: 0.001, estMos: 4.38 },
      { label: '2', participantId: 'called-sip:200@pbx', channel: 1, mixed: false, codec: 'PCMU', packets: 0, lost: 0, jitterMs: 0, expected: 0, lossRate: 0, maxLossRate20s: 0, duplicates: 0, reordered: 0, late: 0, jitterMaxMs: 0, concealedMs: 0, concealedRatio: 0, estMos: null },
      { label: '3', participantId: 'p3', channel: 1, mixed: true, codec: 'G722', packets: 3070, lost: 0, jitterMs: 0.25, expected: 0, lossRate: 0, maxLossRate20s: 0, duplicates: 0, reordered: 0, late: 0, jitterMaxMs: 0, concealedMs: 0, concealedRatio: 0, estMos: null },
    ],
    tags: ['complaint'],
    files: [{ ...file, location: 'target' }], // attached without a location: stored directly
    partyRule: 'from-to',
    correlationIds: {},
    events: [],
    answerTime: null,
    callType: null,
    originalCallId: 'sess-1',
    expiresAt: null,
    legalHold: false,
    legalHoldSince: null,
    deletedAt: null,
    deletedReason: null,
    targets: [],
    notes: [],
  });
  assert.equal(catalog.interactions.get('0'.repeat(24), ALL), null);
  assert.throws(() => catalog.interactions.setStatus('0'.repeat(24), 'failed'), /not found/);
});

test('party search: exact number/user part, prefix, suffix, AoR with and without scheme, names', (t) => {
  const catalog = openCatalog(t);
  const ids = {
    a: catalog.interactions.create(
      call({
        callingParty: 'sip:732@pbx.example.com',
        calledParty: 'sip:+15551234@carrier',
        participants: [party('sip:732@pbx.example.com', 'calling', 'Bill Smith'), party('+15551234@carrier', 'called')],
      }),
    ),
    b: catalog.interactions.create(
      call({
        callingParty: 'sip:7321@pbx',
        calledParty: 'sip:100@pbx',
        participants: [party('sip:7321@pbx', 'calling', 'Big Bill'), party('sip:100@pbx', 'called', 'Alice')],
      }),
    ),
    c: catalog.interactions.create(
      call({
        callingParty: 'sip:1732@pbx',
        calledParty: 'sip:200@pbx',
        participants: [party('sip:1732@pbx', 'calling', 'Billy'), party('sip:200@pbx', 'called', 'Carol')],
      }),
    ),
    // AudioCodes style: AoRs without a scheme everywhere.
    d: catalog.interactions.create(
      call({
        callingParty: '555@branch',
        calledParty: '+15551234@carrier',
        participants: [party('555@branch', 'calling'), party('+15551234@carrier', 'called')],
      }),
    ),
  };
  const name = new Map(Object.entries(ids).map(([k, v]) => [v, k]));
  const find = (p: string) =>
    catalog.interactions
      .list({ party: p, limit: 50 }, ALL)
      .items.map((i) => name.get(i.id))
      .sort();

  assert.deepEqual(find('732'), ['a'], '732 is an exact user part, not 7321 or 1732');
  assert.deepEqual(find('732*'), ['a', 'b']);
  assert.deepEqual(find('*732'), ['a', 'c']);
  assert.deepEqual(find('*Bill'), ['b'], 'suffix of a name');
  assert.deepEqual(find('*bill'), ['b'], 'case-insensitive');
  assert.deepEqual(find('bill smith'), ['a'], 'whole name, case-insensitive');
  assert.deepEqual(find('+15551234'), ['a', 'd'], 'user part of sip:+15551234@carrier and +15551234@carrier');
  assert.deepEqual(find('sip:+15551234@carrier'), ['a', 'd'], 'AoR with scheme finds the scheme-less one too');
  assert.deepEqual(find('+15551234@carrier'), ['a', 'd'], 'AoR without scheme finds the one with');
  assert.deepEqual(find('*@carrier'), ['a', 'd']);
  assert.deepEqual(find('5551234'), [], 'no substring match without *');
  assert.deepEqual(find('100%'), [], 'SQL wildcards are literal');
  assert.deepEqual(find('*'), ['a', 'b', 'c', 'd']);
});

test('list filters by time range, callId and status, newest first', (t) => {
  const catalog = openCatalog(t);
  const at = (iso: string, over: Partial<NewInteraction> = {}) => catalog.interactions.create(call({ startTime: new Date(iso), ...over }));
  const early = at('2026-11-24T08:00:00Z');
  const mid = at('2026-11-24T09:00:00Z', { callId: 'wanted@src' });
  const late = at('2026-11-24T10:00:00Z');
  catalog.interactions.setStatus(late, 'available');
  const list = (q: Parameters<Catalog['interactions']['list']>[0]) => catalog.interactions.list(q, ALL).items.map((i) => i.id);

  assert.deepEqual(list({ limit: 10 }), [late, mid, early]);
  assert.deepEqual(list({ limit: 10, from: new Date('2026-11-24T09:00:00Z') }), [late, mid], 'from is inclusive');
  assert.deepEqual(list({ limit: 10, to: new Date('2026-11-24T09:00:00Z') }), [early], 'to is exclusive');
  assert.deepEqual(list({ limit: 10, callId: 'wanted@src' }), [mid]);
  assert.deepEqual(list({ limit: 10, status: 'available' }), [late]);
  assert.deepEqual(list({ limit: 10, status: 'recording', from: new Date('2026-11-24T08:30:00Z') }), [mid]);
  assert.throws(() => catalog.interactions.list({ limit: 0 }, ALL), /limit/);
  assert.throws(() => catalog.interactions.list({ limit: 201 }, ALL), /limit/);
  assert.throws(() => catalog.interactions.list({ limit: 10, cursor: 'garbage' }, ALL), InvalidCursorError);
});

test('cursor paging walks 3 pages without duplicates or gaps, also across equal start times', (t) => {
  const catalog = openCatalog(t);
  const base = Date.parse('2026-11-24T10:00:00Z');
  const created: string[] = [];
  for (let i = 0; i < 25; i++) {
    // Pairs of calls share a start time: the id breaks the tie.
    created.push(catalog.interactions.create(call({ startTime: new Date(base + Math.floor(i / 2) * 1000) })));
  }
  const seen: string[] = [];
  const sizes: number[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = catalog.interactions.list({ limit: 10, ...(cursor ? { cursor } : {}) }, ALL);
    sizes.push(page.items.length);
    seen.push(...page.items.map((i) => i.id));
    cursor = page.nextCursor ?? undefined;
    pages++;
  } while (cursor && pages < 10);
  assert.deepEqual(sizes, [10, 10, 5]);
  assert.equal(new Set(seen).size, 25, 'no duplicates');
  assert.deepEqual([...seen].sort(), [...created].sort(), 'no gaps');
  const starts = seen.map((id) => catalog.interactions.get(id, ALL)!.startTime);
  assert.deepEqual(starts, [...starts].sort().reverse(), 'newest first');

  // New calls arriving between pages do not shift later pages (keyset, not offset).
  const first = catalog.interactions.list({ limit: 10 }, ALL);
  catalog.interactions.create(call({ startTime: new Date(base + 3_600_000) }));
  const second = catalog.interactions.list({ limit: 10, cursor: first.nextCursor! }, ALL);
  assert.deepEqual(second.items.map((i) => i.id), seen.slice(10, 20));
});

test('an extension scope only reaches calls with that extension, in get, list and active', (t) => {
  const catalog = openCatalog(t);
  const other = catalog.interactions.create(
    call({
      callingParty: 'sip:200@pbx',
      calledParty: 'sip:300@pbx',
      participants: [party('sip:200@pbx', 'calling'), party('sip:300@pbx', 'called')],
    }),
  );
  const mine = catalog.interactions.create(call({ callingParty: 'sip:+15550000@carrier', calledParty: 'sip:100@pbx' }));
  // Only a participant (no calling/called party yet) carries the extension.
  const viaParticipant = catalog.interactions.create(
    call({ callingParty: null, calledParty: null, participants: [party('100@pbx', 'other')] }),
  );
  const scope: AccessScope = { kind: 'extensions', extensions: ['100'] };

  assert.equal(catalog.interactions.get(other, scope), null);
  assert.ok(catalog.interactions.get(mine, scope));
  assert.ok(catalog.interactions.get(viaParticipant, scope));
  assert.deepEqual(
    catalog.interactions
      .list({ limit: 50 }, scope)
      .items.map((i) => i.id)
      .sort(),
    [mine, viaParticipant].sort(),
  );
  assert.deepEqual(
    catalog.interactions
      .active(scope)
      .map((i) => i.id)
      .sort(),
    [mine, viaParticipant].sort(),
  );
  assert.equal(catalog.interactions.list({ limit: 50, party: '300' }, scope).items.length, 0, 'filters do not widen the scope');
  assert.equal(catalog.interactions.list({ limit: 50 }, { kind: 'extensions', extensions: [] }).items.length, 0);
  assert.equal(catalog.interactions.active(ALL).length, 3);

  catalog.interactions.finish(mine, { endTime: new Date('2026-11-24T10:01:00Z'), releaseCause: 'Normal', status: 'pending', streams: [] });
  assert.deepEqual(
    catalog.interactions.active(scope).map((i) => i.id),
    [viaParticipant],
    'finished calls leave the active list',
  );
});
