// The web UI's second increment in real headless Chromium against the real appliance: notes,
// tags and legal hold in the player, Export to Excel from the list, a Supervisor's group scope,
// and the administration screens (a user created through the form, keyboard only, then found in
// the Audit Trail).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { readyUser, startAppliance, PortalClient, waitFor, type Appliance } from '../support/appliance.js';
import { placeSiprecCall, type SiprecCallResult } from '../support/siprec-call.js';
import { recordedCall, type ApiInteraction } from '../support/recording-checks.js';
import { browserPages, launchBrowser, screenshot, signIn, unnamedControls, type TestBrowser } from '../support/browser.js';
import { EXPORT_COLUMNS } from '../../portal/api/export-csv.js';

let app: Appliance;
let chrome: TestBrowser;
let admin: PortalClient;
let first: ApiInteraction; // +15561000 -> +15562000
let second: ApiInteraction; // +15563000 -> +15564000

const call = (caller: string, callee: string, durationMs: number): Promise<SiprecCallResult> =>
  placeSiprecCall({
    transport: 'udp',
    host: '127.0.0.1',
    port: app.sipPort,
    caller: { aor: `sip:${caller}@sbc.example.com`, name: `Caller ${caller}`, freq: 440 },
    callee: { aor: `sip:${callee}@pbx.example.com`, name: `Callee ${callee}`, freq: 1000 },
    durationMs,
  });

before(async () => {
  [app, chrome] = await Promise.all([startAppliance(), launchBrowser()]);
  const [a, b] = await Promise.all([call('+15561000', '+15562000', 2500), call('+15563000', '+15564000', 1500)]);
  admin = await PortalClient.login(app.portalUrl);
  first = await recordedCall(admin, '+15561000', a.callId);
  second = await recordedCall(admin, '+15563000', b.callId);
});
after(async () => {
  await chrome?.close();
  await app?.stop();
});

const { newPage, finish } = browserPages(() => ({ chrome, baseUrl: app.portalUrl }));

async function post(path: string, body: unknown, method = 'POST'): Promise<Record<string, unknown>> {
  const res = await admin.fetch(`/api/v1${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

const rowIds = (page: Page) => page.locator('table.grid tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')));
const facts = (page: Page, name: string) => page.locator('.info .facts div').filter({ has: page.locator('dt', { hasText: new RegExp(`^${name}$`) }) }).locator('dd');

test('player: add a note and a tag, remove the tag, put the recording on legal hold and see it in the info panel', async () => {
  await post('/tags', { name: 'Escalation', description: 'Needs a supervisor' });
  const { context, page } = await newPage();
  await signIn(page);
  await page.locator(`tr[data-id="${first.id}"]`).getByRole('link', { name: /Open player/ }).click();
  await page.getByRole('heading', { name: 'Notes and tags' }).waitFor();

  await page.getByLabel('New note').fill('Customer asked for a callback');
  assert.equal(await page.getByLabel('New note').inputValue(), 'Customer asked for a callback');
  await page.getByRole('button', { name: 'Insert Note' }).click();
  // On failure, say what the panel showed (an error message, or nothing happened).
  let panel = '';
  await waitFor(
    'the note listed',
    async () => {
      panel = await page.locator('.annotations').innerText();
      return panel.includes('Customer asked for a callback — admin');
    },
    15_000,
    () => panel,
  );
  assert.match(await page.locator('.notes').innerText(), /Customer asked for a callback — admin/);

  await page.getByLabel('Add tag').selectOption('Escalation');
  await page.getByRole('button', { name: 'Tag call' }).click();
  await page.getByText('Tagged Escalation.').waitFor();
  assert.equal(await facts(page, 'Tags').innerText(), 'Escalation');

  const hold = page.getByRole('checkbox', { name: /Keep this recording on legal hold/ });
  assert.equal(await facts(page, 'Legal Hold').innerText(), 'No');
  await hold.click();
  await page.getByText('The recording has been successfully placed in legal hold.').waitFor();
  assert.equal(await facts(page, 'Legal Hold').innerText(), 'Yes');
  await screenshot(page, 'player-annotations');

  // What the page shows is what the catalog holds.
  const stored = await admin.json<{ notes: Array<{ text: string; author: string }>; tags: string[]; legalHold: boolean }>(`/api/v1/interactions/${first.id}`);
  assert.deepEqual(stored.notes.map((n) => [n.text, n.author]), [['Customer asked for a callback', 'admin']]);
  assert.deepEqual(stored.tags, ['Escalation']);
  assert.equal(stored.legalHold, true);

  // Removing works too, and the note can be deleted by its author.
  await page.getByRole('button', { name: 'Remove tag Escalation' }).click();
  await page.getByText('Removed tag Escalation.').waitFor();
  assert.equal(await facts(page, 'Tags').innerText(), 'None');
  await page.getByRole('button', { name: 'Delete note' }).click();
  await page.getByText('No notes yet.').waitFor();
  await hold.click();
  await page.getByText('The recording has been successfully removed from legal hold.').waitFor();
  const after = await admin.json<{ notes: unknown[]; tags: string[]; legalHold: boolean }>(`/api/v1/interactions/${first.id}`);
  assert.deepEqual([after.notes.length, after.tags, after.legalHold], [0, [], false]);
  await finish(context);
});

test('list: sorted by the server, Export to Excel of the selected call downloads the seed columns, Tag sets tags on the selection', async () => {
  const { context, page } = await newPage();
  await signIn(page);
  await page.locator(`tr[data-id="${second.id}"]`).waitFor();
  // Server-side sort: Duration ascending then descending.
  await page.getByRole('button', { name: 'Duration' }).click();
  let rows: unknown = null;
  const order = (ids: string[]) => async () => JSON.stringify((rows = await rowIds(page))) === JSON.stringify(ids);
  await waitFor('ascending', order([second.id, first.id]), 10_000, () => rows);
  await page.getByRole('button', { name: 'Duration' }).click();
  await waitFor('descending', order([first.id, second.id]), 10_000, () => rows);

  await page.locator(`tr[data-id="${second.id}"]`).getByRole('checkbox').check();
  await page.getByText('1 selected').waitFor();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export to Excel' }).click()]);
  assert.match(download.suggestedFilename(), /^interactions-.*\.csv$/);
  const csv = await readFile((await download.path())!, 'utf8');
  const lines = csv.split('\r\n');
  assert.equal(lines[0], 'Report Header,Interactions');
  assert.equal(lines[1], 'Requested By,admin');
  assert.equal(lines[5], EXPORT_COLUMNS.join(','), 'the header row has the seed 000 columns in order');
  const data = lines.slice(6).filter((l) => l !== '');
  assert.equal(data.length, 1, csv);
  assert.match(data[0]!, /\+15563000/);
  assert.doesNotMatch(csv, /\+15561000/);
  await page.getByText('A .csv file is downloaded.').waitFor();

  // Tag: the bulk dialog replaces the tags of every selected call.
  await post('/tags', { name: 'Billing', description: '' });
  await page.getByRole('checkbox', { name: 'Select all calls on this page' }).check();
  await page.getByText('2 selected').waitFor();
  await page.getByRole('button', { name: 'Tag', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: 'Set Tag(s)' });
  await dialog.getByText('Setting tag(s) for multiple calls automatically overwrites any previously associated tags.').waitFor();
  await dialog.getByRole('checkbox', { name: 'Billing' }).check();
  await screenshot(page, 'list-tag-dialog');
  await dialog.getByRole('button', { name: 'Save' }).click();
  await page.getByText('Tags set on 2 calls.').waitFor();
  for (const id of [first.id, second.id]) assert.deepEqual((await admin.json<{ tags: string[] }>(`/api/v1/interactions/${id}`)).tags, ['Billing']);
  await screenshot(page, 'list-actions');
  await finish(context);
});

test('a Supervisor sees the calls of the group they manage, not a call outside it (list and deep link)', async () => {
  const member = await post('/users', { username: 'agent61', password: 'Initial-Pa55word-61', role: 'user', extensions: ['+15561000'] });
  await post('/users', { username: 'agent63', password: 'Initial-Pa55word-63', role: 'user', extensions: ['+15563000'] });
  const sup = await readyUser(admin, { username: 'sup', role: 'supervisor' }, 'Sups-Own-Pa55word');
  await post('/groups', { name: 'Team 61', members: [member.id], managers: [sup.id] });

  const { context, page } = await newPage();
  await signIn(page, 'sup', 'Sups-Own-Pa55word');
  await page.locator(`tr[data-id="${first.id}"]`).waitFor();
  assert.deepEqual(await rowIds(page), [first.id]);
  assert.equal(await page.getByRole('button', { name: 'Delete Calls' }).count(), 0, 'no Delete Calls without the permission');
  await page.goto(`/interactions/${second.id}`);
  await page.getByText('does not exist or you are not allowed to see it').waitFor();
  await page.goto(`/interactions/${first.id}`);
  await page.getByRole('button', { name: 'Play' }).waitFor();
  await screenshot(page, 'supervisor-scope');
  await finish(context);

  // An administrator's Group filter searches by the group itself: a member added later counts.
  const adminView = await newPage();
  await signIn(adminView.page);
  await adminView.page.locator(`tr[data-id="${second.id}"]`).waitFor();
  await adminView.page.getByLabel('Group', { exact: true }).selectOption({ label: 'Team 61' });
  await adminView.page.getByRole('button', { name: 'Search', exact: true }).click();
  await waitFor('only the member\'s call', async () => JSON.stringify(await rowIds(adminView.page)) === JSON.stringify([first.id]), 10_000, () => rowIds(adminView.page));
  const team = (await admin.json<{ items: Array<{ id: number; name: string }> }>('/api/v1/groups')).items.find((g) => g.name === 'Team 61')!;
  const agent63 = (await admin.json<{ items: Array<{ id: number; username: string }> }>('/api/v1/users')).items.find((u) => u.username === 'agent63')!;
  await post(`/groups/${team.id}`, { members: [member.id, agent63.id] }, 'PATCH');
  await adminView.page.getByRole('button', { name: 'Search', exact: true }).click();
  await waitFor('both members\' calls', async () => (await rowIds(adminView.page)).length === 2, 10_000, () => rowIds(adminView.page));
  await finish(adminView.context);
});

test('administration, keyboard only: create a user through the form, see it listed, and find its creation in the Audit Trail', async () => {
  const { context, page } = await newPage();
  await signIn(page);
  await page.locator('table.grid').waitFor();
  await page.getByRole('link', { name: 'Administration' }).click();
  await page.getByRole('heading', { name: 'Users' }).waitFor();
  // Tab from the page's start to Add User, Enter opens the form with the focus in Username.
  await page.locator('body').focus();
  await waitFor('Tab reaches Add User', async () => {
    await page.keyboard.press('Tab');
    return (await page.evaluate('document.activeElement?.textContent')) === 'Add User';
  }, 10_000);
  await page.keyboard.press('Enter');
  await waitFor('focus in Username', async () => (await page.evaluate('document.activeElement?.id')) === 'u-name', 5_000);
  await page.keyboard.type('dora');
  await page.keyboard.press('Tab');
  await page.keyboard.type('Initial-Pa55word-7');
  await page.keyboard.press('Tab'); // Role
  await page.keyboard.press('Tab'); // Access profile
  await page.keyboard.press('Tab'); // Extensions
  await page.keyboard.type('+15569000');
  await page.keyboard.press('Enter');
  const row = page.locator('tr[data-user="dora"]');
  await row.waitFor();
  assert.match(await row.innerText(), /User\/Agent[\s\S]*\+15569000/);
  await page.getByText('User dora created.').waitFor();
  await screenshot(page, 'admin-users');
  const users = await admin.json<{ items: Array<{ username: string; role: string; extensions: string[]; mustChangePassword: boolean }> }>('/api/v1/users');
  const dora = users.items.find((u) => u.username === 'dora');
  assert.deepEqual(dora && [dora.role, dora.extensions, dora.mustChangePassword], ['user', ['+15569000'], true]);

  await page.getByRole('link', { name: 'Audit Trail' }).click();
  await page.getByRole('heading', { name: 'Audit Trail' }).waitFor();
  await page.getByLabel('Description contains').fill('dora');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  const created = page.locator('tr[data-action="user.create"]');
  await created.first().waitFor();
  assert.match(await created.first().innerText(), /admin[\s\S]*dora/);
  await page.getByRole('button', { name: 'Verify integrity' }).click();
  await page.getByText(/The audit trail is intact: \d+ rows verified\./).waitFor();
  await screenshot(page, 'admin-audit');
  await finish(context);
});

test('every control of the new screens and dialogs has an accessible name; an auditor sees the Audit Trail only', async () => {
  const { context, page } = await newPage();
  await signIn(page);
  await page.locator(`tr[data-id="${first.id}"]`).waitFor();
  await page.locator(`tr[data-id="${first.id}"]`).getByRole('checkbox').check();
  for (const [button, dialog] of [['Tag', 'Set Tag(s)'], ['Delete Calls', 'Delete Calls'], ['Save Search', 'Save Search']] as const) {
    await page.getByRole('button', { name: button, exact: true }).click();
    await page.getByRole('dialog', { name: dialog }).waitFor();
    assert.deepEqual(await unnamedControls(page), [], dialog);
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
  }
  await page.getByRole('link', { name: /Open player/ }).first().click();
  await page.getByRole('heading', { name: 'Notes and tags' }).waitFor();
  assert.deepEqual(await unnamedControls(page), [], 'player annotations');
  for (const [path, heading, open] of [
    ['/admin/users', 'Users', 'Add User'],
    ['/admin/groups', 'Groups', 'Add Group'],
    ['/admin/access-profiles', 'Access Profiles', 'Add Access Profile'],
    ['/admin/tags', 'Tags', null],
    ['/admin/settings', 'System Settings', null],
    ['/admin/alarms', 'Alarms', null],
    ['/admin/activity', 'System Activity Log', null],
    ['/admin/audit', 'Audit Trail', null],
  ] as const) {
    await page.getByRole('link', { name: heading === 'Users' ? 'Administration' : heading, exact: true }).click();
    await page.waitForURL(`**${path}`);
    await page.getByRole('heading', { name: heading, exact: true }).waitFor();
    if (open) await page.getByRole('button', { name: open }).click();
    assert.deepEqual(await unnamedControls(page), [], path);
  }
  // System Settings: Test connection of the active target, and an SNMP destination added by the form.
  await page.getByRole('link', { name: 'System Settings', exact: true }).click();
  const targetRow = page.getByRole('table', { name: 'Storage targets' }).locator('tbody tr').first();
  await targetRow.waitFor();
  const targetName = (await targetRow.locator('td').first().innerText()).trim();
  await targetRow.getByRole('button', { name: /Test connection/ }).click();
  await page.getByText(`Connected to ${targetName}:`).waitFor();
  let rowText = '';
  await waitFor('the last test shown', async () => /OK ·/.test((rowText = await targetRow.innerText())), 5_000, () => rowText);
  await page.getByLabel('Host').fill('127.0.0.1');
  await page.getByLabel('Port').fill('16299');
  await page.getByLabel('Community', { exact: true }).fill('public');
  await page.getByRole('button', { name: 'Add destination' }).click();
  await page.getByRole('table', { name: 'SNMP destinations' }).getByText('16299').waitFor();
  const dests = await admin.json<{ items: Array<{ host: string; port: number }> }>('/api/v1/snmp/destinations');
  assert.ok(dests.items.some((d) => d.host === '127.0.0.1' && d.port === 16299), JSON.stringify(dests));
  await screenshot(page, 'admin-settings');
  await finish(context);

  // An auditor: no recordings, no user administration, the Audit Trail.
  await readyUser(admin, { username: 'audra', role: 'auditor' }, 'Audras-Own-Pa55word');
  const auditor = await newPage();
  await signIn(auditor.page, 'audra', 'Audras-Own-Pa55word');
  await auditor.page.getByRole('link', { name: 'Open the Audit Trail' }).click();
  await auditor.page.getByRole('heading', { name: 'Audit Trail' }).waitFor();
  const screens = await auditor.page.getByRole('navigation', { name: 'Administration screens' }).getByRole('link').allInnerTexts();
  assert.ok(screens.includes('Audit Trail') && !screens.includes('Users'), `screens: ${screens}`);
  assert.equal(await auditor.page.getByRole('link', { name: 'Interactions' }).count(), 0);
  await finish(auditor.context);
});

test('saved search: save, pick, delete; Delete Calls needs Authorized By and Note and is audited', async () => {
  const { context, page } = await newPage();
  await signIn(page);
  await page.locator(`tr[data-id="${first.id}"]`).waitFor();
  await page.getByLabel('Called or Calling Party').fill('+15563000');
  await page.getByLabel('Duration to (s)').fill('60');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  let rows: unknown = null;
  const only = (ids: string[]) => async () => JSON.stringify((rows = await rowIds(page))) === JSON.stringify(ids);
  await waitFor('the filtered call', only([second.id]), 10_000, () => rows);
  await page.getByRole('button', { name: 'Save Search' }).click();
  await page.getByRole('dialog', { name: 'Save Search' }).getByLabel('Name').fill('Carol short calls');
  await page.getByRole('dialog', { name: 'Save Search' }).getByRole('button', { name: 'Save' }).click();
  await page.getByRole('dialog').waitFor({ state: 'detached' });
  const saved = await admin.json<{ items: Array<{ name: string; query: Record<string, unknown> }> }>('/api/v1/saved-searches');
  assert.deepEqual(saved.items.map((s) => [s.name, s.query.party, s.query.maxDuration]), [['Carol short calls', '+15563000', 60]]);
  // Reset, then pick the saved search: the same filter and rows come back.
  await page.getByRole('button', { name: 'Reset Search' }).click();
  await waitFor('both calls', async () => ((rows = await rowIds(page)) as string[]).length === 2, 10_000, () => rows);
  await page.getByLabel('Saved searches').selectOption({ label: 'Carol short calls' });
  await waitFor('the saved search runs', only([second.id]), 10_000, () => rows);
  assert.equal(await page.getByLabel('Called or Calling Party').inputValue(), '+15563000');

  // Delete Calls: both fields are required; the call becomes a tombstone and the audit says who approved it.
  await page.locator(`tr[data-id="${second.id}"]`).getByRole('checkbox').check();
  await page.getByRole('button', { name: 'Delete Calls' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete Calls' });
  await dialog.getByText('Total of 1 calls records are selected for deletion.').waitFor();
  await dialog.getByLabel('Authorized By').fill('GlobalAdmin');
  await dialog.getByLabel('Note').fill('Purging call data');
  await screenshot(page, 'delete-calls');
  await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
  await page.getByText('1 call deleted.').waitFor();
  assert.equal((await admin.json<{ status: string }>(`/api/v1/interactions/${second.id}`)).status, 'deleted');
  const audit = await admin.json<{ items: Array<{ target: string; details: Record<string, unknown> }> }>('/api/v1/audit?action=interaction.delete');
  assert.deepEqual(audit.items.map((e) => [e.target, e.details.authorizedBy, e.details.note]), [[second.id, 'GlobalAdmin', 'Purging call data']]);

  await page.getByRole('button', { name: 'Delete saved search' }).click();
  await waitFor('no saved searches', async () => (await admin.json<{ items: unknown[] }>('/api/v1/saved-searches')).items.length === 0, 5_000);
  await finish(context);
});
