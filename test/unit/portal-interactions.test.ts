// The interaction search of the portal API against a real catalog and a listening portal: every
// seed 000 §1.7 filter, sorting with cursor paging, saved searches, tags, notes, the CSV export,
// active calls, injection payloads and the audit rows each action leaves.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildConfig } from '../../config/loader.js';
import { Catalog, SORT_KEYS, type CallType, type NewInteraction, type Participant, type ReleaseCause, type Role } from '../../storage/catalog/index.js';
import { EXPORT_COLUMNS } from '../../portal/api/export-csv.js';
import { closePortal, listenPortal, loginOver, type PortalSession } from '../support/portal-harness.js';
import { parse as parseCsvText } from 'csv-parse/sync';

let dir: string;
let catalog: Catalog;
let app: FastifyInstance;
let base: string;
const users: Record<string, number> = {};
const c: Record<string, string> = {};
const name = new Map<string, string>();

interface CallSpec {
  calling: [string, string | null];
  called: [string, string | null];
  others?: Array<[string, string | null]>;
  start: string;
  seconds?: number;
  cause?: ReleaseCause;
  failed?: boolean;
  callType?: CallType;
}

function newCall(s: CallSpec): NewInteraction {
  const p = (aor: string, n: string | null, role: Participant['role'], i: number): Participant => ({ participantId: `p${i}`, name: n, aor, role });
  return {
    callId: `${s.calling[0]}-${s.start}@src`,
    sessionId: `sess-${s.start}`,
    startTime: new Date(s.start),
    direction: 'None',
    callingParty: s.calling[0],
    calledParty: s.called[0],
    participants: [p(s.calling[0], s.calling[1], 'calling', 0), p(s.called[0], s.called[1], 'called', 1), ...(s.others ?? []).map(([a, n], i) => p(a, n, 'other', i + 2))],
    src: 'udp:10.0.0.5:5060',
    streams: [
      { label: '1', participantId: 'p0', channel: 0, codec: 'PCMU', mixed: false },
      { label: '2', participantId: 'p1', channel: 1, codec: 'PCMU', mixed: false },
    ],
    partyRule: 'metadata-send-recv',
    retentionDays: 365,
    callType: s.callType ?? null,
  };
}

function record(key: string, s: CallSpec): string {
  const id = catalog.interactions.create(newCall(s));
  if (s.seconds !== undefined) {
    const start = Date.parse(s.start);
    if (s.cause !== 'Missed' && s.cause !== 'Abandoned') catalog.interactions.setAnswerTime(id, new Date(start + 1000));
    catalog.interactions.finish(id, { endTime: new Date(start + s.seconds * 1000), releaseCause: s.cause ?? 'Normal', status: s.failed ? 'failed' : 'pending', streams: [] });
    if (!s.failed) catalog.interactions.setStatus(id, 'available');
  }
  c[key] = id;
  name.set(id, key);
  return id;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sipvault-interactions-'));
  const config = buildConfig(
    { dataDir: dir, portal: { listen: '127.0.0.1:0' }, storage: { target: { type: 'local', name: 'Local', path: join(dir, 'media') } } },
    'test',
  );
  catalog = Catalog.open(config.dataDir);
  const list: Array<[string, Role, string[]]> = [
    ['admin', 'admin', []],
    ['alice', 'user', ['100']],
    ['bob', 'user', ['200']],
    ['sue', 'supervisor', ['300']],
    ['audrey', 'auditor', []],
  ];
  for (const [username, role, extensions] of list) users[username] = catalog.users.add({ username, password: `${username}-password`, role, extensions }).id;

  record('c1', { calling: ['sip:732@pbx', 'Bill Smith'], called: ['sip:+15551234@carrier', null], start: '2026-11-20T10:00:00Z', seconds: 120, callType: 'PSTN p2p' });
  record('c2', { calling: ['sip:7321@pbx', 'Big Bill'], called: ['sip:100@pbx', 'Alice A'], start: '2026-11-21T10:00:00Z', seconds: 10, cause: 'Missed', callType: 'Internal p2p' });
  record('c3', { calling: ['sip:1732@pbx', 'Billy'], called: ['sip:200@pbx', 'Bob B'], start: '2026-11-22T10:00:00Z', seconds: 5, cause: 'Abandoned', callType: 'Internal p2p' });
  record('c4', {
    calling: ['sip:100@pbx', 'Alice A'],
    called: ['sip:200@pbx', 'Bob B'],
    others: [['sip:300@pbx', 'Carol Conf']],
    start: '2026-11-23T10:00:00Z',
    seconds: 600,
    callType: 'Internal Meeting',
  });
  record('c5', { calling: ['sip:200@pbx', 'Bob B'], called: ['sip:+17325550000@carrier', null], start: '2026-11-24T09:00:00Z', seconds: 30, cause: 'Failure', failed: true, callType: 'PSTN p2p' });
  record('c6', { calling: ['sip:100@pbx', 'Alice A'], called: ['sip:+12125550000@carrier', null], start: new Date(Date.now() - 65_000).toISOString() });
  record('c7', { calling: ['+17320001111@carrier', null], called: ['200@pbx', 'Bob B'], start: '2026-11-19T10:00:00Z', seconds: 45, cause: 'Transferred', callType: 'External p2p' });

  for (const [id, kind, offset, details] of [
    [c.c4!, 'pause', 60_000, null],
    [c.c4!, 'resume', 75_000, null],
    [c.c4!, 'dtmf', 90_000, { digit: '5', durationMs: 120 }],
  ] as const) {
    catalog.history.addEvent(id, { kind, at: new Date(Date.parse('2026-11-23T10:00:00Z') + offset), details });
  }
  ({ app, base } = await listenPortal(config, catalog));
});

after(() => closePortal(app, catalog, dir));

type Session = PortalSession;
const sessions = new Map<string, Session>();

async function login(username: string): Promise<Session> {
  const known = sessions.get(username);
  if (known) return known;
  const s = await loginOver(base, username);
  sessions.set(username, s);
  return s;
}

async function call(method: string, path: string, who: string, body?: unknown): Promise<Response> {
  const s = await login(who);
  const headers: Record<string, string> = { cookie: s.cookie };
  if (method !== 'GET') headers['x-csrf-token'] = s.csrf;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return fetch(`${base}/api/v1${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
}

interface Item {
  id: string;
  durationMs: number | null;
  callingParty: string | null;
  status: string;
  tags: string[];
  notes: Array<{ id: number; text: string; authorId: number | null }>;
}
interface PageBody {
  items: Item[];
  nextCursor: string | null;
}

async function search(qs: string, who = 'admin'): Promise<string[]> {
  const res = await call('GET', `/interactions?${qs}`, who);
  assert.equal(res.status, 200, `${qs}: ${await res.clone().text()}`);
  return ((await res.json()) as PageBody).items.map((i) => name.get(i.id) ?? i.id).sort();
}

const auditRows = (action: string) => catalog.audit.list({ limit: 10_000 }).filter((e) => e.action === action);
const enc = encodeURIComponent;

test('calling/called party: 732 exact, 732* prefix, *732 and *Bill contain (seed 000 §1.7), names too', async () => {
  assert.deepEqual(await search('callingParty=732'), ['c1'], 'the number exactly, not 7321 or 1732');
  assert.deepEqual(await search('callingParty=732*'), ['c1', 'c2']);
  assert.deepEqual(await search(`callingParty=${enc('*732')}`), ['c1', 'c2', 'c3', 'c7'], '+17320001111 contains 732 too');
  assert.deepEqual(await search(`callingParty=${enc('*Bill')}`), ['c1', 'c2', 'c3'], 'Bill Smith, Big Bill, Billy');
  assert.deepEqual(await search(`callingParty=${enc('bill smith')}`), ['c1'], 'a whole display name, any case');
  assert.deepEqual(await search(`calledParty=${enc('*732')}`), ['c5'], 'called side only');
  assert.deepEqual(await search('calledParty=200'), ['c3', 'c4', 'c7'], 'sip:200@pbx and 200@pbx (no scheme)');
  assert.deepEqual(await search(`calledParty=${enc('100%')}`), [], 'SQL wildcards are literal');
});

test('answering party: the called party of answered calls only; participants: any participant', async () => {
  assert.deepEqual(await search('answeringParty=200'), ['c4', 'c7'], 'c3 to 200 was Abandoned');
  assert.deepEqual(await search('answeringParty=100'), [], 'c2 to 100 was Missed');
  assert.deepEqual(await search(`participant=${enc('Carol*')}`), ['c4']);
  assert.deepEqual(await search(`participant=${enc('*conf')}`), ['c4']);
  assert.deepEqual(await search('participant=300'), ['c4'], 'a participant who is neither caller nor called');
});

test('time range, status, release cause, call type, duration, direction, users, mine', async () => {
  assert.deepEqual(await search(`from=${enc('2026-11-21T00:00:00Z')}&to=${enc('2026-11-23T00:00:00Z')}`), ['c2', 'c3']);
  assert.deepEqual(await search('status=recording&status=failed'), ['c5', 'c6']);
  assert.deepEqual(await search('status=available&callType=PSTN%20p2p'), ['c1']);
  assert.deepEqual(await search('releaseCause=Missed&releaseCause=Abandoned'), ['c2', 'c3']);
  assert.deepEqual(await search('releaseCause=Transferred'), ['c7']);
  assert.deepEqual(await search(`callType=${enc('Internal p2p')}`), ['c2', 'c3']);
  assert.deepEqual(await search(`callType=${enc('Internal Meeting')}&callType=${enc('External p2p')}`), ['c4', 'c7']);
  assert.deepEqual(await search('minDuration=100'), ['c1', 'c4']);
  assert.deepEqual(await search('maxDuration=30'), ['c2', 'c3', 'c5'], 'at most 30 s includes 30 s; the active call has no duration yet');
  assert.deepEqual(await search('minDuration=30&maxDuration=45'), ['c5', 'c7']);
  assert.deepEqual(await search(`user=${users.bob}`), ['c3', 'c4', 'c5', 'c7']);
  assert.deepEqual(await search(`user=${users.alice}&user=${users.sue}`), ['c2', 'c4', 'c6']);
  // Direction is seen from the targeted user: the one filtered for, or the one looking.
  assert.deepEqual(await search(`user=${users.alice}&direction=Outgoing`), ['c4', 'c6']);
  assert.deepEqual(await search(`user=${users.alice}&direction=Incoming`), ['c2']);
  assert.deepEqual(await search(`user=${users.sue}&direction=None`), ['c4'], 'a conference participant');
  assert.deepEqual(await search('direction=Incoming', 'bob'), ['c3', 'c4', 'c7'], 'as bob sees them');
  assert.deepEqual(await search('direction=Outgoing', 'bob'), ['c5']);
  assert.deepEqual(await search('mine=true', 'alice'), ['c2', 'c4', 'c6']);
  assert.deepEqual(await search('mine=true'), [], 'the admin has no extension: no calls of their own');
  assert.deepEqual(await search(`mine=true&user=${users.bob}`, 'alice'), ['c4'], 'mine narrows another filter');
});

test('tags (any of several) and notes by whole word', async () => {
  catalog.tags.create('SalesOrder');
  catalog.tags.create('Help Desk');
  catalog.interactions.addTag(c.c1!, 'SalesOrder');
  catalog.interactions.addTag(c.c4!, 'SalesOrder');
  catalog.interactions.addTag(c.c2!, 'Help Desk');
  catalog.interactions.addNote(c.c1!, { authorId: null, author: 'admin', text: 'Customer asked for a refund today' });
  catalog.interactions.addNote(c.c3!, { authorId: null, author: 'admin', text: 'Already refunded last week' });
  assert.deepEqual(await search('tag=SalesOrder'), ['c1', 'c4']);
  assert.deepEqual(await search(`tag=SalesOrder&tag=${enc('Help Desk')}`), ['c1', 'c2', 'c4']);
  assert.deepEqual(await search('note=refund'), ['c1'], 'whole word: not "refunded"');
  assert.deepEqual(await search(`note=${enc('refund*')}`), ['c1'], 'no prefix matching in notes');
  assert.deepEqual(await search('note=REFUNDED'), ['c3'], 'case-insensitive');
  assert.deepEqual(await search(`note=${enc('refund today')}`), ['c1'], 'every word must appear');
  assert.deepEqual(await search(`note=${enc('refund week')}`), []);
  for (const t of ['SalesOrder', 'Help Desk']) {
    for (const id of [c.c1!, c.c2!, c.c4!]) catalog.interactions.removeTag(id, t);
  }
});

test('every sort column, both orders: pages of 2 join up to the one-page answer, without gaps or repeats', async () => {
  for (const sort of SORT_KEYS) {
    for (const order of ['asc', 'desc']) {
      const all = (await (await call('GET', `/interactions?limit=200&sort=${sort}&order=${order}`, 'admin')).json()) as PageBody;
      assert.equal(all.items.length, 7, `${sort} ${order}`);
      const paged: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res = await call('GET', `/interactions?limit=2&sort=${sort}&order=${order}${cursor ? `&cursor=${cursor}` : ''}`, 'admin');
        assert.equal(res.status, 200, `${sort} ${order} page ${pages}`);
        const page = (await res.json()) as PageBody;
        paged.push(...page.items.map((i) => i.id));
        cursor = page.nextCursor;
        pages++;
      } while (cursor && pages < 10);
      assert.equal(pages, 4, `${sort} ${order}: 7 calls in pages of 2`);
      assert.deepEqual(paged, all.items.map((i) => i.id), `${sort} ${order}`);
      assert.equal(new Set(paged).size, 7);
    }
  }
  const byDuration = (await (await call('GET', '/interactions?sort=duration&order=asc', 'admin')).json()) as PageBody;
  assert.deepEqual(byDuration.items.map((i) => name.get(i.id)), ['c6', 'c3', 'c2', 'c5', 'c7', 'c1', 'c4'], 'the unfinished call first, then shortest to longest');
  const byCaller = (await (await call('GET', '/interactions?sort=callingParty&order=desc', 'admin')).json()) as PageBody;
  const callers = byCaller.items.map((i) => i.callingParty ?? '');
  assert.deepEqual(callers, [...callers].sort().reverse());

  const first = (await (await call('GET', '/interactions?limit=2&sort=duration', 'admin')).json()) as PageBody;
  const mixed = await call('GET', `/interactions?limit=2&sort=callingParty&cursor=${first.nextCursor}`, 'admin');
  assert.equal(mixed.status, 400, 'a cursor of another sort order is refused, not misread');
  assert.match(((await mixed.json()) as { message: string }).message, /another sort order/);
});

test('filters and cursors combine: a filtered sort pages without gaps', async () => {
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const page = (await (
      await call('GET', `/interactions?limit=1&sort=duration&order=desc&callingParty=${enc('*732')}${cursor ? `&cursor=${cursor}` : ''}`, 'admin')
    ).json()) as PageBody;
    seen.push(...page.items.map((i) => name.get(i.id)!));
    cursor = page.nextCursor;
  } while (cursor);
  assert.deepEqual(seen, ['c1', 'c7', 'c2', 'c3']);
});

test('a search is audited once (not per page), a detail view once; the detail has participants, streams, events, expiry', async () => {
  const before = auditRows('interactions.search').length;
  const p1 = (await (await call('GET', '/interactions?limit=3&status=available', 'admin')).json()) as PageBody;
  assert.ok(p1.nextCursor);
  const p2 = await call('GET', `/interactions?limit=3&status=available&cursor=${p1.nextCursor}`, 'admin');
  assert.equal(((await p2.json()) as PageBody).items.length, 2);
  const rows = auditRows('interactions.search');
  assert.equal(rows.length, before + 1);
  assert.deepEqual(rows[0]!.details, { item: 'Interactions', filter: { status: ['available'] }, results: 3 });

  const views = auditRows('interaction.view').length;
  const res = await call('GET', `/interactions/${c.c4}`, 'alice');
  assert.equal(res.status, 200);
  assert.equal(auditRows('interaction.view').length, views + 1);
  const it = (await res.json()) as {
    participants: Array<{ name: string }>;
    streams: Array<{ label: string; estMos: number | null }>;
    events: Array<{ kind: string; offsetMs: number; details: unknown }>;
    expiresAt: string;
    answerTime: string;
    callType: string;
    direction: string;
  };
  assert.deepEqual(it.participants.map((p) => p.name), ['Alice A', 'Bob B', 'Carol Conf']);
  assert.deepEqual(it.streams.map((s) => s.label), ['1', '2']);
  assert.deepEqual(it.events.map((e) => [e.kind, e.offsetMs]), [['pause', 60_000], ['resume', 75_000], ['dtmf', 90_000]]);
  assert.deepEqual(it.events[2]!.details, { digit: '5', durationMs: 120 });
  assert.equal(it.expiresAt, '2027-11-23T10:00:00.000Z', 'start + 365 days');
  assert.equal(it.answerTime, '2026-11-23T10:00:01.000Z');
  assert.equal(it.callType, 'Internal Meeting');
  assert.equal(it.direction, 'Outgoing', 'as alice sees it');
  assert.equal((await call('GET', `/interactions/${c.c1}`, 'alice')).status, 404);
  assert.equal(auditRows('interaction.view').length, views + 1, 'a refused view is not audited as a view');
});

test('active calls: durations count up live; "My Active Call(s)" with mine=true; active-call filters', async () => {
  const first = (await (await call('GET', '/calls/active', 'alice')).json()) as { items: Item[]; total: number };
  assert.deepEqual(first.items.map((i) => name.get(i.id)), ['c6']);
  assert.equal(first.total, 1);
  assert.ok(first.items[0]!.durationMs! >= 65_000, `live duration ${first.items[0]!.durationMs}`);
  await new Promise((r) => setTimeout(r, 1100));
  const second = (await (await call('GET', '/calls/active?mine=true', 'alice')).json()) as { items: Item[] };
  assert.ok(second.items[0]!.durationMs! - first.items[0]!.durationMs! >= 1000, 'the duration grew with the clock');
  assert.deepEqual((await (await call('GET', '/calls/active?mine=true', 'admin')).json()) as unknown, { items: [], total: 0 });
  assert.deepEqual(((await (await call('GET', '/calls/active', 'bob')).json()) as { items: Item[] }).items, [], 'not a call of bob');
  const filtered = async (qs: string) => ((await (await call('GET', `/calls/active?${qs}`, 'admin')).json()) as { items: Item[] }).items.map((i) => name.get(i.id));
  assert.deepEqual(await filtered(`calledParty=${enc('+1212*')}`), ['c6']);
  assert.deepEqual(await filtered('calledParty=200'), []);
  assert.deepEqual(await filtered('direction=Incoming'), [], 'Outgoing for alice, its only target');
  assert.deepEqual(await filtered(`participant=${enc('alice*')}`), ['c6']);
  const listed = (await (await call('GET', '/interactions?status=recording', 'alice')).json()) as PageBody;
  assert.ok(listed.items[0]!.durationMs! >= 66_000, 'the list shows the live duration too');
});

test('saved searches belong to their user: CRUD, names unique per user, queries validated', async () => {
  const created = await call('POST', '/saved-searches', 'alice', { name: 'My missed calls', query: { releaseCause: ['Missed'], mine: true, sort: 'duration' } });
  assert.equal(created.status, 201);
  const saved = (await created.json()) as { id: number; name: string; query: Record<string, unknown> };
  assert.deepEqual(saved.query, { releaseCause: ['Missed'], mine: true, sort: 'duration' });
  assert.equal((await call('POST', '/saved-searches', 'bob', { name: 'My missed calls', query: {} })).status, 201, 'the same name for another user');
  const dup = await call('POST', '/saved-searches', 'alice', { name: 'My missed calls', query: {} });
  assert.equal(dup.status, 409);

  const mine = (await (await call('GET', '/saved-searches', 'alice')).json()) as { items: Array<{ id: number }> };
  assert.deepEqual(mine.items.map((s) => s.id), [saved.id]);
  const bobs = (await (await call('GET', '/saved-searches', 'bob')).json()) as { items: Array<{ id: number }> };
  assert.ok(!bobs.items.some((s) => s.id === saved.id), "bob does not list alice's");
  for (const [method, body] of [['GET', undefined], ['PUT', { name: 'stolen' }], ['DELETE', undefined]] as const) {
    const r = await call(method, `/saved-searches/${saved.id}`, 'bob', body);
    assert.equal(r.status, 404, `${method} of another user's saved search`);
  }
  assert.equal(((await (await call('GET', `/saved-searches/${saved.id}`, 'alice')).json()) as { name: string }).name, 'My missed calls', 'unchanged by bob');

  // The saved query runs as a search.
  const qs = new URLSearchParams({ releaseCause: 'Missed', mine: 'true', sort: 'duration' }).toString();
  assert.deepEqual(await search(qs, 'alice'), ['c2']);

  const stray = await call('POST', '/saved-searches', 'alice', { name: 'stray keys', query: { bogus: 1, note: 'refund' } });
  assert.equal(stray.status, 400, 'keys that are not filters are refused, never stored');
  assert.match(((await stray.json()) as { message: string }).message, /bogus/);
  for (const query of [{ releaseCause: ['Lost'] }, { party: 'x'.repeat(129) }, { sort: 'password' }, { minDuration: -1 }]) {
    const r = await call('POST', '/saved-searches', 'alice', { name: `bad ${JSON.stringify(query).slice(0, 20)}`, query });
    assert.equal(r.status, 400, JSON.stringify(query));
  }
  const renamed = await call('PUT', `/saved-searches/${saved.id}`, 'alice', { name: 'Missed', query: { releaseCause: ['Missed', 'Abandoned'] } });
  assert.equal(renamed.status, 200);
  assert.deepEqual(((await renamed.json()) as { query: unknown }).query, { releaseCause: ['Missed', 'Abandoned'] });
  assert.equal((await call('DELETE', `/saved-searches/${saved.id}`, 'alice')).status, 204);
  assert.equal((await call('GET', `/saved-searches/${saved.id}`, 'alice')).status, 404);
});

test('tag vocabulary: Notes defined by default; "Create and Modify Tags" to manage; delete only unused; audited once each', async () => {
  const list = (await (await call('GET', '/tags', 'alice')).json()) as { items: Array<{ name: string }> };
  assert.ok(list.items.some((t) => t.name === 'Notes'), 'the Notes tag exists by default');
  assert.equal((await call('POST', '/tags', 'alice', { name: 'Mine' })).status, 403, 'users do not manage the vocabulary');
  const before = auditRows('tag.create').length;
  const created = await call('POST', '/tags', 'admin', { name: 'Key Financials', description: 'Numbers discussed' });
  assert.equal(created.status, 201);
  assert.equal(auditRows('tag.create').length, before + 1);
  assert.equal((await call('POST', '/tags', 'admin', { name: 'Key Financials' })).status, 409);
  const upd = await call('PATCH', `/tags/${enc('Key Financials')}`, 'admin', { description: 'Revenue and costs' });
  assert.deepEqual(((await upd.json()) as { description: string }).description, 'Revenue and costs');
  assert.equal(auditRows('tag.update').length, 1);

  catalog.interactions.addTag(c.c4!, 'Key Financials');
  const inUse = await call('DELETE', `/tags/${enc('Key Financials')}`, 'admin');
  assert.equal(inUse.status, 409);
  assert.match(((await inUse.json()) as { message: string }).message, /on 1 call/);
  const renamed = await call('PATCH', `/tags/${enc('Key Financials')}`, 'admin', { name: 'Financials' });
  assert.equal(renamed.status, 200);
  assert.deepEqual(catalog.interactions.get(c.c4!, { kind: 'all' })!.tags, ['Financials'], 'a rename follows the calls');
  catalog.interactions.removeTag(c.c4!, 'Financials');
  assert.equal((await call('DELETE', `/tags/Financials`, 'admin')).status, 204);
  assert.equal(auditRows('tag.delete').length, 1);
  assert.equal((await call('DELETE', `/tags/Financials`, 'admin')).status, 404);
});

test('tagging one call needs "Tag Calls" and a visible call; bulk set replaces the tags of every selected call', async () => {
  catalog.tags.create('Marketing Positioning');
  catalog.tags.create('Inventory Control');
  const assigned = auditRows('tag.assign').length;
  const ok = await call('POST', `/interactions/${c.c4}/tags`, 'alice', { tag: 'Marketing Positioning' });
  assert.equal(ok.status, 200);
  assert.deepEqual(((await ok.json()) as { tags: string[] }).tags, ['Marketing Positioning']);
  assert.equal(auditRows('tag.assign').length, assigned + 1);
  assert.equal((await call('POST', `/interactions/${c.c1}/tags`, 'alice', { tag: 'Marketing Positioning' })).status, 404, "not alice's call");
  const unknown = await call('POST', `/interactions/${c.c4}/tags`, 'alice', { tag: 'Nope' });
  assert.equal(unknown.status, 400);
  assert.match(((await unknown.json()) as { message: string }).message, /^tag: "Nope" is not a defined tag/);
  assert.equal((await call('POST', `/interactions/${c.c4}/tags`, 'audrey', { tag: 'Notes' })).status, 403);
  assert.equal(auditRows('tag.assign').length, assigned + 1, 'refusals are not audited as assignments');

  catalog.interactions.addTag(c.c1!, 'Inventory Control');
  const bulkBefore = auditRows('tags.bulk-assign').length;
  const bulk = await call('PUT', '/interactions/tags', 'admin', { ids: [c.c1, c.c4], tags: ['Notes'] });
  assert.equal(bulk.status, 200);
  assert.deepEqual(catalog.interactions.get(c.c1!, { kind: 'all' })!.tags, ['Notes'], 'Inventory Control was replaced');
  assert.deepEqual(catalog.interactions.get(c.c4!, { kind: 'all' })!.tags, ['Notes'], 'Marketing Positioning was replaced');
  const rows = auditRows('tags.bulk-assign');
  assert.equal(rows.length, bulkBefore + 1, 'one audit row for the whole bulk action');
  assert.deepEqual(rows[0]!.details, { item: 'Tag', ids: [c.c1, c.c4], tags: ['Notes'] });

  const hidden = await call('PUT', '/interactions/tags', 'alice', { ids: [c.c4, c.c1], tags: [] });
  assert.equal(hidden.status, 404, 'one call alice may not see: nothing changes');
  assert.deepEqual(catalog.interactions.get(c.c4!, { kind: 'all' })!.tags, ['Notes']);
  const cleared = await call('PUT', '/interactions/tags', 'alice', { ids: [c.c4], tags: [] });
  assert.equal(cleared.status, 200);
  assert.deepEqual(catalog.interactions.get(c.c4!, { kind: 'all' })!.tags, []);

  const removed = auditRows('tag.remove').length;
  assert.equal((await call('DELETE', `/interactions/${c.c1}/tags/Notes`, 'admin')).status, 200);
  assert.equal((await call('DELETE', `/interactions/${c.c1}/tags/Notes`, 'admin')).status, 404, 'no longer there');
  assert.equal(auditRows('tag.remove').length, removed + 1);
});

test('notes: add and list; the author deletes their own; others\' need "Delete Notes of Other Users"; audited once each', async () => {
  const added = auditRows('note.add').length;
  const a = await call('POST', `/interactions/${c.c4}/notes`, 'alice', { text: 'Follow up on the invoice' });
  assert.equal(a.status, 201);
  const aliceNote = (await a.json()) as { id: number; author: string; authorId: number };
  assert.equal(aliceNote.author, 'alice');
  assert.equal(aliceNote.authorId, users.alice);
  const bobNote = (await (await call('POST', `/interactions/${c.c4}/notes`, 'bob', { text: 'Invoice sent' })).json()) as { id: number };
  assert.equal(auditRows('note.add').length, added + 2);
  assert.equal((await call('POST', `/interactions/${c.c1}/notes`, 'alice', { text: 'x' })).status, 404);
  const notes = (await (await call('GET', `/interactions/${c.c4}/notes`, 'bob')).json()) as { items: Array<{ text: string }> };
  assert.deepEqual(notes.items.map((n) => n.text), ['Follow up on the invoice', 'Invoice sent']);

  const deleted = auditRows('note.delete').length;
  const refused = await call('DELETE', `/interactions/${c.c4}/notes/${bobNote.id}`, 'alice');
  assert.equal(refused.status, 403);
  assert.match(((await refused.json()) as { message: string }).message, /Delete Notes of Other Users/);
  assert.equal((await call('DELETE', `/interactions/${c.c4}/notes/${bobNote.id}`, 'bob')).status, 204, 'own note');
  assert.equal((await call('DELETE', `/interactions/${c.c4}/notes/${aliceNote.id}`, 'admin')).status, 204, "an admin deletes another user's note");
  assert.equal((await call('DELETE', `/interactions/${c.c4}/notes/${aliceNote.id}`, 'admin')).status, 404);
  assert.equal(auditRows('note.delete').length, deleted + 2);
  assert.deepEqual(catalog.interactions.get(c.c4!, { kind: 'all' })!.notes, []);
});

/** RFC 4180 records of a CSV text, header rows of different widths included. */
const parseCsv = (text: string): string[][] => parseCsvText(text, { relax_column_count: true, bom: true }) as string[][];

test("export: the seed's header rows and 27 columns, one row per targeted user, scoped, formulas neutralised, audited once", async () => {
  catalog.interactions.addNote(c.c4!, { authorId: users.admin!, author: 'admin', text: '=HYPERLINK("http://evil.example/","click")' });
  catalog.interactions.addNote(c.c4!, { authorId: users.admin!, author: 'admin', text: 'Sales feedback' });
  const evil = record('evil', { calling: ['@SUM(1+1)', '-2+3'], called: ['sip:100@pbx', '\tcmd'], start: '2026-11-18T10:00:00Z', seconds: 9 });
  const exports = auditRows('interactions.export').length;
  const res = await call('POST', '/interactions/export', 'admin', { ids: [c.c4, evil] });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type')!, /^text\/csv/);
  assert.match(res.headers.get('content-disposition')!, /^attachment; filename="interactions-.*\.csv"$/);
  const rows = parseCsv(await res.text());
  assert.deepEqual(rows[0], ['Report Header', 'Interactions']);
  assert.deepEqual(rows[1], ['Requested By', 'admin']);
  assert.equal(rows[2]![0], 'Created At');
  assert.match(rows[2]![1]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.deepEqual(rows[3], ['Search Criteria', '2 selected call(s)']);
  assert.deepEqual(rows[5], [...EXPORT_COLUMNS]);
  assert.equal(EXPORT_COLUMNS.length, 27);
  assert.deepEqual(EXPORT_COLUMNS.slice(0, 3), ['Call Id', 'Target Display Name', 'Target Upn']);
  assert.equal(EXPORT_COLUMNS[26], 'Call Link');
  const data = rows.slice(6);
  const col = (r: string[], n: (typeof EXPORT_COLUMNS)[number]) => r[EXPORT_COLUMNS.indexOf(n)]!;
  const c4rows = data.filter((r) => r[0] === c.c4);
  assert.deepEqual(c4rows.map((r) => [col(r, 'Target Upn'), col(r, 'Call Direction')]), [['alice', 'Outgoing'], ['bob', 'Incoming'], ['sue', 'None']], 'one row per targeted user');
  const r4 = c4rows[0]!;
  assert.equal(r4.length, 27);
  assert.equal(col(r4, 'Answered By'), 'Conference', 'a meeting');
  assert.equal(col(r4, 'Start Time'), '2026-11-23T10:00:00.000Z');
  assert.equal(col(r4, 'Answered time'), '2026-11-23T10:00:01.000Z');
  assert.equal(col(r4, 'Release Time'), '2026-11-23T10:10:00.000Z');
  assert.equal(col(r4, 'Expiration'), '2027-11-23T10:00:00.000Z');
  assert.equal(col(r4, 'SysCallId'), 'sess-2026-11-23T10:00:00Z');
  assert.equal(col(r4, 'Media Audio Status'), 'Available');
  assert.equal(col(r4, 'Participants'), 'Alice A;Bob B;Carol Conf');
  assert.equal(col(r4, 'Notes'), `'=HYPERLINK("http://evil.example/","click"); Sales feedback`, 'a formula in a note is neutralised');
  assert.match(col(r4, 'Call Link'), new RegExp(`^http://127\\.0\\.0\\.1:\\d+/ui/interactions/${c.c4}$`));
  const re = data.find((r) => r[0] === evil)!;
  assert.equal(col(re, 'Calling Party'), "'@SUM(1+1)");
  assert.equal(col(re, 'Participants'), "'-2+3;\tcmd", 'only the cell start matters');
  assert.equal(col(re, 'Target Upn'), 'alice');
  for (const r of data) for (const cell of r) assert.doesNotMatch(cell, /^[=+\-@\t\r]/, `cell ${JSON.stringify(cell)}`);
  assert.equal(auditRows('interactions.export').length, exports + 1);

  // Alice's export of a filter: only her calls, only her rows, never someone else's even by id.
  const mine = parseCsv(await (await call('POST', '/interactions/export', 'alice', { filter: { sort: 'startTime', order: 'asc' } })).text()).slice(6);
  assert.deepEqual(mine.map((r) => name.get(r[0]!)), ['evil', 'c2', 'c4', 'c6']);
  assert.ok(mine.every((r) => col(r, 'Target Upn') === 'alice'));
  assert.equal(col(mine.find((r) => r[0] === c.c6)!, 'Media Audio Status'), 'Recording');
  assert.equal(col(mine.find((r) => r[0] === c.c6)!, 'Release Time'), '');
  const byId = parseCsv(await (await call('POST', '/interactions/export', 'alice', { ids: [c.c1, c.c5] })).text());
  assert.equal(byId.length, 6, 'header rows only: c1 and c5 are not hers');
  assert.equal(auditRows('interactions.export').length, exports + 3, 'one row per export');
  assert.equal((await call('POST', '/interactions/export', 'alice', { ids: [c.c4], filter: {} })).status, 400);
  assert.equal((await call('POST', '/interactions/export', 'audrey', { filter: {} })).status, 403);
  for (const n of catalog.interactions.get(c.c4!, { kind: 'all' })!.notes) catalog.interactions.removeNote(c.c4!, n.id);
});

const SQL = ["' OR '1'='1", '"; DROP TABLE interactions; --', "1) UNION SELECT password_hash FROM users --"];
const SCRIPT = '<script>alert(document.cookie)</script>';
const TRAVERSAL = '../../../../etc/passwd';
const FIELDS = ['party', 'callingParty', 'calledParty', 'answeringParty', 'participant', 'q', 'note', 'tag', 'callId', 'correlationId'];

test('injection payloads in every filter field match nothing and change nothing; oversized values are refused naming the field', async () => {
  const count = () => (catalog.interactions.list({ limit: 200 }, { kind: 'all' }).items.length);
  const total = count();
  for (const field of FIELDS) {
    for (const payload of [...SQL, SCRIPT, TRAVERSAL]) {
      const res = await call('GET', `/interactions?${field}=${enc(payload)}`, 'admin');
      assert.equal(res.status, 200, `${field}=${payload}: ${await res.clone().text()}`);
      assert.deepEqual(((await res.json()) as PageBody).items, [], `${field}=${payload} matches nothing`);
    }
    const big = await call('GET', `/interactions?${field}=${'x'.repeat(600)}`, 'admin');
    assert.equal(big.status, 400, `${field} oversized`);
    assert.match(((await big.json()) as { message: string }).message, new RegExp(field), `the message names ${field}`);
  }
  for (const field of ['status', 'direction', 'releaseCause', 'callType', 'sort', 'order', 'minDuration', 'user']) {
    const res = await call('GET', `/interactions?${field}=${enc(SQL[0]!)}`, 'admin');
    assert.equal(res.status, 400, field);
    assert.match(((await res.json()) as { message: string }).message, new RegExp(field));
  }
  const cursor = await call('GET', `/interactions?cursor=${enc(TRAVERSAL)}`, 'admin');
  assert.equal(cursor.status, 400);
  assert.equal(count(), total, 'the catalog is intact');
  assert.ok(catalog.users.list().length >= 5);
});

test('notes, tags and saved searches store markup and SQL as inert text; oversized values are refused naming the field', async () => {
  for (const text of [SCRIPT, SQL[1]!, TRAVERSAL]) {
    const res = await call('POST', `/interactions/${c.c4}/notes`, 'alice', { text });
    assert.equal(res.status, 201);
    assert.match(res.headers.get('content-type')!, /^application\/json/);
    assert.equal(((await res.json()) as { text: string }).text, text, 'returned verbatim inside JSON');
  }
  const detail = (await (await call('GET', `/interactions/${c.c4}`, 'alice')).json()) as Item;
  assert.deepEqual(detail.notes.map((n) => n.text), [SCRIPT, SQL[1], TRAVERSAL]);
  assert.deepEqual(await search(`note=${enc('script alert')}`), ['c4'], 'searchable as words, nothing more');
  const longNote = await call('POST', `/interactions/${c.c4}/notes`, 'alice', { text: 'x'.repeat(4001) });
  assert.equal(longNote.status, 400);
  assert.match(((await longNote.json()) as { message: string }).message, /text/);
  for (const n of detail.notes) catalog.interactions.removeNote(c.c4!, n.id);

  const tag = await call('POST', '/tags', 'admin', { name: SCRIPT, description: SQL[0] });
  assert.equal(tag.status, 201);
  const stored = (await tag.json()) as { name: string; description: string; uses: number };
  assert.deepEqual([stored.name, stored.description, stored.uses], [SCRIPT, SQL[0], 0]);
  assert.equal((await call('POST', `/interactions/${c.c4}/tags`, 'alice', { tag: SCRIPT })).status, 200);
  assert.deepEqual(await search(`tag=${enc(SCRIPT)}`), ['c4']);
  assert.equal((await call('DELETE', `/interactions/${c.c4}/tags/${enc(TRAVERSAL)}`, 'alice')).status, 404);
  catalog.interactions.removeTag(c.c4!, SCRIPT);
  for (const [body, field] of [
    [{ name: 'x'.repeat(65) }, 'name'],
    [{ name: 'ok', description: 'x'.repeat(501) }, 'description'],
  ] as const) {
    const r = await call('POST', '/tags', 'admin', body);
    assert.equal(r.status, 400);
    assert.match(((await r.json()) as { message: string }).message, new RegExp(field));
  }
  const bulk = await call('PUT', '/interactions/tags', 'admin', { ids: [TRAVERSAL], tags: [] });
  assert.equal(bulk.status, 400, 'ids are interaction ids or nothing');

  const saved = await call('POST', '/saved-searches', 'alice', { name: SCRIPT, query: { note: SQL[2] } });
  assert.equal(saved.status, 201);
  assert.equal(((await saved.json()) as { name: string }).name, SCRIPT);
  const longName = await call('POST', '/saved-searches', 'alice', { name: 'x'.repeat(101), query: {} });
  assert.equal(longName.status, 400);
  assert.match(((await longName.json()) as { message: string }).message, /name/);
});

test('every new route is in the OpenAPI document; auditors reach none of the call routes', async () => {
  const spec = (await (await fetch(`${base}/api/docs/json`)).json()) as { paths: Record<string, Record<string, unknown>> };
  const expected: Array<[string, string[]]> = [
    ['/api/v1/saved-searches', ['get', 'post']],
    ['/api/v1/saved-searches/{id}', ['get', 'put', 'delete']],
    ['/api/v1/tags', ['get', 'post']],
    ['/api/v1/tags/{name}', ['patch', 'delete']],
    ['/api/v1/interactions/{id}/tags', ['post']],
    ['/api/v1/interactions/{id}/tags/{tag}', ['delete']],
    ['/api/v1/interactions/tags', ['put']],
    ['/api/v1/interactions/{id}/notes', ['get', 'post']],
    ['/api/v1/interactions/{id}/notes/{noteId}', ['delete']],
    ['/api/v1/interactions/export', ['post']],
    ['/api/v1/interactions/{id}/media/download', ['get']],
    ['/api/v1/calls/active', ['get']],
  ];
  for (const [path, methods] of expected) {
    for (const m of methods) assert.ok(spec.paths[path]?.[m], `documented: ${m.toUpperCase()} ${path}`);
  }
  const list = spec.paths['/api/v1/interactions']!.get as { parameters: Array<{ name: string }> };
  const names = list.parameters.map((p) => p.name);
  for (const n of ['callingParty', 'calledParty', 'answeringParty', 'participant', 'direction', 'releaseCause', 'callType', 'tag', 'note', 'user', 'mine', 'minDuration', 'maxDuration', 'sort', 'order']) {
    assert.ok(names.includes(n), `parameter ${n}`);
  }
  for (const [method, path, body] of [
    ['GET', '/interactions', undefined],
    ['GET', `/interactions/${c.c4}/notes`, undefined],
    ['GET', '/saved-searches', undefined],
    ['POST', '/interactions/export', { filter: {} }],
    ['PUT', '/interactions/tags', { ids: [c.c4], tags: [] }],
    ['POST', `/interactions/${c.c4}/notes`, { text: 'x' }],
  ] as const) {
    assert.equal((await call(method, path, 'audrey', body)).status, 403, `${method} ${path}`);
  }
});
