import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Catalog, InvalidInputError, type AccessScope, type NewInteraction, type Participant } from '../../storage/catalog/index.js';

const ALL: AccessScope = { kind: 'all' };

function openCatalog(t: { after: (fn: () => void) => void }): Catalog {
  const dir = mkdtempSync(join(tmpdir(), 'sipvault-linking-'));
  const catalog = Catalog.open(dir);
  t.after(() => {
    catalog.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return catalog;
}

function call(calling: string | null, called: string | null, start: string, extra: Participant[] = []): NewInteraction {
  return {
    callId: `${calling}-${called}-${start}@src`,
    sessionId: null,
    startTime: new Date(start),
    direction: 'None',
    callingParty: calling,
    calledParty: called,
    participants: [
      { participantId: 'a', name: null, aor: calling, role: 'calling' },
      { participantId: 'b', name: null, aor: called, role: 'called' },
      ...extra,
    ],
    src: 'udp:10.0.0.5:5060',
    streams: [],
    partyRule: null,
  };
}

test('a call is linked to every user whose extension or address is a party, with the Direction seen from each', (t) => {
  const c = openCatalog(t);
  const megan = c.users.add({ username: 'megan', password: 'megan-password', role: 'user', extensions: ['100'] });
  const mod = c.users.add({ username: 'mod', password: 'mod-password', role: 'user', extensions: ['bob@pbx.example.com'] });
  const conf = c.users.add({ username: 'carol', password: 'carol-password', role: 'supervisor', extensions: ['+15550300'] });

  // Megan calls MOD: one call, two targets (seed 000: Megan/Outgoing and MOD/Incoming, same times).
  const both = c.interactions.create(call('sip:100@pbx.example.com', 'sip:bob@pbx.example.com', '2026-11-24T10:00:00Z'));
  let it = c.interactions.get(both, ALL)!;
  assert.deepEqual(
    it.targets.map((x) => [x.username, x.direction]),
    [
      ['megan', 'Outgoing'],
      ['mod', 'Incoming'],
    ],
  );
  assert.equal(c.interactions.get(both, { kind: 'user', userId: megan.id })!.direction, 'Outgoing');
  assert.equal(c.interactions.get(both, { kind: 'user', userId: mod.id })!.direction, 'Incoming');
  // Filtered for a user, an admin sees the Direction relative to that user.
  assert.equal(c.interactions.list({ limit: 10, userId: mod.id }, ALL).items[0]!.direction, 'Incoming');

  // A third participant of a conference is linked with Direction None.
  const bridge = c.interactions.create(
    call('sip:100@pbx', 'sip:conf@bridge', '2026-11-24T11:00:00Z', [{ participantId: 'c', name: 'Carol', aor: 'tel:+15550300', role: 'other' }]),
  );
  it = c.interactions.get(bridge, ALL)!;
  assert.deepEqual(
    it.targets.map((x) => [x.username, x.direction]),
    [
      ['megan', 'Outgoing'],
      ['carol', 'None'],
    ],
  );
  assert.equal(c.interactions.get(bridge, { kind: 'user', userId: conf.id })!.direction, 'None');

  // Nobody matches: unassigned.
  const nobody = c.interactions.create(call('sip:900@pbx', 'sip:901@pbx', '2026-11-24T12:00:00Z'));
  assert.deepEqual(c.interactions.get(nobody, ALL)!.targets, []);

  // Parties decided later by the metadata (updateParties) re-link the call.
  c.interactions.updateParties(nobody, {
    callingParty: 'sip:901@pbx',
    calledParty: '100@pbx',
    participants: [
      { participantId: 'a', name: null, aor: 'sip:901@pbx', role: 'calling' },
      { participantId: 'b', name: null, aor: '100@pbx', role: 'called' },
    ],
    direction: 'None',
    partyRule: 'metadata',
  });
  assert.deepEqual(c.interactions.get(nobody, ALL)!.targets.map((x) => [x.username, x.direction]), [['megan', 'Incoming']]);
});

test('scopes: a user or supervisor sees only its linked calls, never unassigned ones; an admin sees all', (t) => {
  const c = openCatalog(t);
  const alice = c.users.add({ username: 'alice', password: 'alice-password', role: 'user', extensions: ['100'] });
  const sue = c.users.add({ username: 'sue', password: 'sue-password', role: 'supervisor', extensions: ['200'] });
  const hers = c.interactions.create(call('sip:100@pbx', 'sip:555@pstn', '2026-11-24T10:00:00Z'));
  const sues = c.interactions.create(call('sip:555@pstn', 'sip:200@pbx', '2026-11-24T10:01:00Z'));
  const orphan = c.interactions.create(call('sip:777@pstn', 'sip:888@pstn', '2026-11-24T10:02:00Z'));

  const aliceScope: AccessScope = { kind: 'user', userId: alice.id };
  const sueScope: AccessScope = { kind: 'user', userId: sue.id };
  assert.deepEqual(c.interactions.list({ limit: 50 }, aliceScope).items.map((i) => i.id), [hers]);
  assert.deepEqual(c.interactions.list({ limit: 50 }, sueScope).items.map((i) => i.id), [sues]);
  assert.equal(c.interactions.get(sues, aliceScope), null);
  assert.equal(c.interactions.get(orphan, aliceScope), null);
  assert.equal(c.interactions.get(orphan, sueScope), null);
  assert.equal(c.interactions.list({ limit: 50, unassigned: true }, sueScope).items.length, 0);
  assert.deepEqual(c.interactions.list({ limit: 50, unassigned: true }, ALL).items.map((i) => i.id), [orphan]);
  assert.equal(c.interactions.list({ limit: 50 }, ALL).items.length, 3);
  // Another user's id as a filter does not widen a scope.
  assert.equal(c.interactions.list({ limit: 50, userId: sue.id }, aliceScope).items.length, 0);
});

test('a user created after its calls were recorded gets them (linkExtensions)', (t) => {
  const c = openCatalog(t);
  const before = c.interactions.create(call('sip:300@pbx', 'sip:555@pstn', '2026-11-24T09:00:00Z'));
  const dan = c.users.add({ username: 'dan', password: 'dan-password', role: 'user', extensions: ['300'] });
  assert.equal(c.interactions.get(before, { kind: 'user', userId: dan.id }), null, 'not linked before linkExtensions');
  assert.equal(c.interactions.linkExtensions(dan.extensions), 1);
  assert.equal(c.interactions.get(before, { kind: 'user', userId: dan.id })!.direction, 'Outgoing');
});

test('full-text search over parties and notes, tags filter, scope still applies', (t) => {
  const c = openCatalog(t);
  const alice = c.users.add({ username: 'alice', password: 'alice-password', role: 'user', extensions: ['100'] });
  const a = c.interactions.create(
    call('sip:100@pbx', 'sip:+15551234@carrier.example', '2026-11-24T10:00:00Z', [{ participantId: 'x', name: 'Bill Gates', aor: null, role: 'other' }]),
  );
  const b = c.interactions.create(call('sip:+15559999@carrier.example', 'sip:200@pbx', '2026-11-24T10:05:00Z'));
  c.interactions.addNote(b, { authorId: null, author: 'admin', text: 'Customer asked about the refund; escalate' });
  c.interactions.addTag(a, 'SalesOrder');

  const ids = (q: Parameters<typeof c.interactions.list>[0], scope: AccessScope = ALL) => c.interactions.list(q, scope).items.map((i) => i.id);
  assert.deepEqual(ids({ limit: 10, q: '15551234' }), [a]);
  assert.deepEqual(ids({ limit: 10, q: '1555*' }), [b, a], 'prefix, newest first');
  assert.deepEqual(ids({ limit: 10, q: 'bill' }), [a], 'participant name, case-insensitive');
  assert.deepEqual(ids({ limit: 10, q: 'refund' }), [b], 'q covers notes');
  assert.deepEqual(ids({ limit: 10, note: 'refund' }), [b]);
  assert.deepEqual(ids({ limit: 10, note: 'refun' }), [], 'note search is by whole word');
  assert.deepEqual(ids({ limit: 10, note: 'carrier' }), [], 'note search does not look at parties');
  assert.deepEqual(ids({ limit: 10, q: 'refund escalate' }), [b], 'every word must match');
  assert.deepEqual(ids({ limit: 10, q: 'refund bill' }), []);
  assert.deepEqual(ids({ limit: 10, q: '"OR NEAR(' }), [], 'operators in the input are words, not syntax');
  assert.deepEqual(ids({ limit: 10, tag: 'SalesOrder' }), [a]);
  assert.deepEqual(ids({ limit: 10, q: '1555*' }, { kind: 'user', userId: alice.id }), [a], 'search stays within scope');
  assert.throws(() => c.interactions.list({ limit: 10, q: '* *' }, ALL), InvalidInputError);

  // Removing the note removes its words; a changed party is found under the new number only.
  const noteId = c.interactions.get(b, ALL)!.notes[0]!.id;
  c.interactions.removeNote(b, noteId);
  assert.deepEqual(ids({ limit: 10, q: 'refund' }), []);
  c.interactions.updateParties(a, { callingParty: 'sip:100@pbx', calledParty: 'sip:4242@pbx', participants: [], direction: 'None', partyRule: null });
  assert.deepEqual(ids({ limit: 10, q: '15551234' }), []);
  assert.deepEqual(ids({ limit: 10, q: '4242' }), [a]);
});

test('common party prefixes and tags (matched per row) give the same pages as rare ones (matched by index)', (t) => {
  const c = openCatalog(t);
  // 5,200 calls from +1732..., all tagged Help Desk, every 7th also SalesOrder: the first two
  // are above the per-row threshold (5,000 matches), the others below it.
  const start = Date.parse('2026-01-01T00:00:00Z');
  const common: string[] = [];
  c.transaction(() => {
    for (let k = 0; k < 5200; k++) {
      const id = c.interactions.create(call(`sip:+1732555${String(k).padStart(4, '0')}@pstn`, 'sip:100@pbx', new Date(start + k * 60_000).toISOString()));
      common.push(id);
      c.interactions.addTag(id, 'Help Desk');
      if (k % 7 === 0) c.interactions.addTag(id, 'SalesOrder');
    }
  });
  const rare = c.interactions.create(call('sip:+12015550000@pstn', 'sip:100@pbx', new Date(start + 30_000).toISOString()));
  c.interactions.addTag(rare, 'Key Financials');

  const newestFirst = [...common].reverse();
  const page1 = c.interactions.list({ limit: 50, party: '+1732*' }, ALL);
  assert.deepEqual(page1.items.map((i) => i.id), newestFirst.slice(0, 50));
  const page2 = c.interactions.list({ limit: 50, party: '+1732*', cursor: page1.nextCursor! }, ALL);
  assert.deepEqual(page2.items.map((i) => i.id), newestFirst.slice(50, 100));
  const from = new Date(start + 1000 * 60_000);
  const to = new Date(start + 1100 * 60_000);
  assert.deepEqual(
    c.interactions.list({ limit: 200, party: '+1732*', from, to }, ALL).items.map((i) => i.id),
    common.slice(1000, 1100).reverse(),
  );
  assert.deepEqual(c.interactions.list({ limit: 50, party: '+1201*' }, ALL).items.map((i) => i.id), [rare]);
  assert.deepEqual(c.interactions.list({ limit: 50, party: '*0000@pstn' }, ALL).items.map((i) => i.id), [rare, common[0]]);

  const tagged = newestFirst.filter((id) => common.indexOf(id) % 7 === 0);
  assert.deepEqual(c.interactions.list({ limit: 50, tag: 'SalesOrder' }, ALL).items.map((i) => i.id), tagged.slice(0, 50));
  assert.deepEqual(c.interactions.list({ limit: 50, tag: 'Help Desk', from, to }, ALL).items.map((i) => i.id), common.slice(1050, 1100).reverse());
  assert.deepEqual(c.interactions.list({ limit: 50, tag: 'Key Financials' }, ALL).items.map((i) => i.id), [rare]);
});

test('common note words (matched per row) page newest first like rare ones', (t) => {
  const c = openCatalog(t);
  const start = Date.parse('2026-02-01T00:00:00Z');
  const ids: string[] = [];
  c.transaction(() => {
    for (let k = 0; k < 5100; k++) {
      const id = c.interactions.create(call('sip:100@pbx', 'sip:200@pbx', new Date(start + k * 60_000).toISOString()));
      c.interactions.addNote(id, { authorId: null, author: 'admin', text: k === 17 ? 'refund requested' : 'callback later' });
      ids.push(id);
    }
  });
  const newest = [...ids].reverse();
  const p1 = c.interactions.list({ limit: 50, note: 'callback' }, ALL);
  assert.deepEqual(p1.items.map((i) => i.id), newest.filter((id) => id !== ids[17]).slice(0, 50));
  const p2 = c.interactions.list({ limit: 50, q: 'later', cursor: p1.nextCursor! }, ALL);
  assert.deepEqual(p2.items.map((i) => i.id), newest.filter((id) => id !== ids[17]).slice(50, 100));
  assert.deepEqual(c.interactions.list({ limit: 50, note: 'refund' }, ALL).items.map((i) => i.id), [ids[17]]);
});
