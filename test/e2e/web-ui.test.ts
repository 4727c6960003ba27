// The portal's browser UI in real headless Chromium against the real appliance with recorded calls:
// sign-in (mouse and keyboard only), search, the player (playback advances, speaker timeline),
// active calls, session expiry, labelled controls, and a User who sees only its own calls.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { ADMIN_PASSWORD, readyUser, startAppliance, PortalClient, waitFor, type Appliance } from '../support/appliance.js';
import { placeSiprecCall, type SiprecCallResult } from '../support/siprec-call.js';
import { recordedCall, type ApiInteraction } from '../support/recording-checks.js';
import { browserPages, launchBrowser, screenshot, signIn, unnamedControls, type TestBrowser } from '../support/browser.js';
import { totpCode } from '../../portal/auth/totp.js';

let app: Appliance;
let chrome: TestBrowser;
let admin: PortalClient;
let first: ApiInteraction; // Alice (+15551000) -> Bob (+15552000)
let second: ApiInteraction; // Carol (+15553000) -> Dan (+15554000)

const call = (caller: string, name: string, callee: string, calleeName: string, durationMs: number): Promise<SiprecCallResult> =>
  placeSiprecCall({
    transport: 'udp',
    host: '127.0.0.1',
    port: app.sipPort,
    caller: { aor: `sip:${caller}@sbc.example.com`, name, freq: 440 },
    callee: { aor: `sip:${callee}@pbx.example.com`, name: calleeName, freq: 1000 },
    durationMs,
  });

before(async () => {
  [app, chrome] = await Promise.all([startAppliance(), launchBrowser()]);
  const [a, b] = await Promise.all([call('+15551000', 'Alice Caller', '+15552000', 'Bob Callee', 4000), call('+15553000', 'Carol', '+15554000', 'Dan', 2000)]);
  admin = await PortalClient.login(app.portalUrl);
  first = await recordedCall(admin, '+15551000', a.callId);
  second = await recordedCall(admin, '+15553000', b.callId);
});
after(async () => {
  await chrome?.close();
  await app?.stop();
});

const { newPage, finish } = browserPages(() => ({ chrome, baseUrl: app.portalUrl }));

// The main tsconfig has no DOM lib: page-side code names only what it reads.
type MediaState = { currentTime: number; playbackRate: number; volume: number; muted: boolean };
const rowIds = (page: Page) => page.locator('table.grid tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')));
const audio = (page: Page) =>
  page.locator('audio').evaluate((a) => {
    const m = a as unknown as MediaState;
    return { currentTime: m.currentTime, playbackRate: m.playbackRate, volume: m.volume, muted: m.muted };
  });

test('sign in, see the recorded calls, filter by party, sort, choose columns (remembered)', async () => {
  const { context, page } = await newPage();
  await signIn(page);
  await page.waitForURL('**/interactions');
  await page.getByRole('heading', { name: 'Interactions' }).waitFor();
  await page.locator(`tr[data-id="${first.id}"]`).waitFor();
  assert.deepEqual(new Set(await rowIds(page)), new Set([first.id, second.id]));
  // Newest first from the API; sorting by Duration ascending puts the 2 s call first.
  await page.getByRole('button', { name: 'Duration' }).click();
  assert.deepEqual(await rowIds(page), [second.id, first.id]);
  assert.equal(await page.locator('th[aria-sort="ascending"]').textContent(), 'Duration▲');

  await page.getByLabel('Called or Calling Party').fill('+15551000');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await waitFor('one row after filtering', async () => (await rowIds(page)).length === 1);
  assert.deepEqual(await rowIds(page), [first.id]);
  const row = page.locator(`tr[data-id="${first.id}"]`);
  assert.match(await row.innerText(), /\+15551000/);
  assert.match(await row.innerText(), /\+15552000/);
  assert.equal(await row.getByRole('img', { name: 'Available' }).count(), 1);

  await page.getByLabel('Called or Calling Party').fill('+1999*');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await page.getByText('No recordings match this search').waitFor();

  // Column chooser: show Original Call ID, hide Direction; the choice survives a reload.
  await page.getByRole('button', { name: 'Reset Search' }).click();
  await page.getByRole('button', { name: 'Select Columns' }).click();
  await page.getByRole('checkbox', { name: 'Original Call ID' }).check();
  await page.getByRole('checkbox', { name: 'Direction' }).uncheck();
  await page.reload();
  await page.locator(`tr[data-id="${first.id}"]`).waitFor();
  const headers = await page.locator('table.grid thead th').allInnerTexts();
  assert.ok(headers.some((h) => /Original Call ID/i.test(h)), `headers ${headers}`);
  assert.ok(!headers.some((h) => /^Direction/i.test(h)), `headers ${headers}`);
  await screenshot(page, 'interactions');
  await finish(context);

  // Another browser (nothing stored in it): the choice follows the user, from the catalog.
  const elsewhere = await newPage();
  await signIn(elsewhere.page);
  await elsewhere.page.locator(`tr[data-id="${first.id}"]`).waitFor();
  await waitFor('the columns chosen in the other browser', async () => {
    const h = await elsewhere.page.locator('table.grid thead th').allInnerTexts();
    return h.some((x) => /Original Call ID/i.test(x)) && !h.some((x) => /^Direction/i.test(x));
  }, 5000, () => elsewhere.page.locator('table.grid thead th').allInnerTexts());
  const prefs = await admin.json<{ interactionColumns: string[] }>('/api/v1/me/preferences');
  assert.ok(prefs.interactionColumns.includes('original') && !prefs.interactionColumns.includes('direction'), JSON.stringify(prefs));
  await finish(elsewhere.context);
});

test('the player plays the recording, its time advances, and the speaker timeline shows both sides', async () => {
  const { context, page } = await newPage();
  await signIn(page);
  await page.locator(`tr[data-id="${first.id}"]`).getByRole('link', { name: /Open player/ }).click();
  await page.waitForURL(`**/interactions/${first.id}`);
  const play = page.getByRole('button', { name: 'Play' });
  await play.waitFor();
  await waitFor('player ready', () => play.isEnabled(), 15_000);
  // Tones on both legs for the whole call: speech on the left and the right track.
  assert.ok((await page.locator('.track[data-channel="left"] .segment').count()) >= 1);
  assert.ok((await page.locator('.track[data-channel="right"] .segment').count()) >= 1);
  assert.match(await page.locator('.legend').innerText(), /Alice Caller[\s\S]*Bob Callee/);
  // The waveform is drawn (wavesurfer renders into a shadow root: one canvas per channel at least).
  const canvases = await page.locator('.wave').evaluate((el) => el.querySelector('div')?.shadowRoot?.querySelectorAll('canvas').length ?? 0);
  assert.ok(canvases >= 2, `waveform canvases: ${canvases}`);
  assert.match(await page.locator('.info').innerText(), /Original Call ID[\s\S]*Recording quality per stream[\s\S]*PCMU/i);

  await page.getByLabel('Speed').selectOption('1.5');
  await play.click();
  await page.getByText('PLAYING').waitFor();
  const t = await waitFor('playback to advance', async () => {
    const now = (await audio(page)).currentTime;
    return now > 0.8 ? now : null;
  }, 10_000);
  assert.ok(t > 0.8);
  assert.equal((await audio(page)).playbackRate, 1.5);
  await screenshot(page, 'player');
  await page.getByRole('button', { name: 'Pause' }).click();
  await page.getByText('PAUSED').waitFor();
  // Volume and mute reach the media element.
  await page.getByLabel('Volume').fill('30');
  await waitFor('volume 0.3', async () => Math.abs((await audio(page)).volume - 0.3) < 0.01, 5_000);
  await page.getByRole('button', { name: 'Mute' }).click();
  await waitFor('muted', async () => (await audio(page)).muted, 5_000);
  assert.equal(await page.getByRole('button', { name: 'Mute' }).getAttribute('aria-pressed'), 'true');
  // Timeline filtering: one speaker hidden, then Reset shows both again.
  await page.getByRole('button', { name: 'Bob Callee' }).click();
  assert.equal(await page.locator('.track[data-channel="right"] .segment').count(), 0);
  assert.ok((await page.locator('.track[data-channel="left"] .segment').count()) >= 1);
  await page.getByRole('button', { name: 'Reset' }).click();
  assert.ok((await page.locator('.track[data-channel="right"] .segment').count()) >= 1);
  // The download link serves the stored WAV.
  const href = await page.getByRole('link', { name: 'Download WAV' }).getAttribute('href');
  const res = await page.request.get(href!);
  assert.equal(res.status(), 200);
  assert.equal(res.headers()['content-type'], 'audio/wav');
  // Listening in the player is audited as media.play, the download link as media.download.
  const trail = await admin.json<{ items: Array<{ action: string; target: string | null; username: string | null }> }>('/api/v1/audit');
  const mine = trail.items.filter((e) => e.target === first.id && e.username === 'admin').map((e) => e.action);
  assert.ok(mine.includes('media.play'), `audit of ${first.id}: ${mine}`);
  assert.ok(mine.includes('media.download'), `audit of ${first.id}: ${mine}`);
  await finish(context);
});

test('the player\'s "Listen to" puts one side in both ears: the ear levels follow the choice', async () => {
  // One side talks (a 600 Hz tone), the other sends nothing: what each ear gets tells the routing apart.
  const placed = await placeSiprecCall({
    transport: 'udp',
    host: '127.0.0.1',
    port: app.sipPort,
    caller: { aor: 'sip:+15557700@sbc.example.com', name: 'Olga', freq: 600 },
    callee: { aor: 'sip:+15557701@pbx.example.com', name: 'Quiet', freq: 0 },
    durationMs: 8000,
  });
  const it = await recordedCall(admin, '+15557700', placed.callId);
  const { context, page } = await newPage();
  await signIn(page);
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
  await page.goto(`/interactions/${it.id}`);
  await waitFor('player ready', () => page.getByRole('button', { name: 'Play' }).isEnabled(), 15_000);
  const ears = async (): Promise<[number, number]> => {
    const v = await page.locator('.ears meter').evaluateAll((ms) => ms.map((m) => (m as unknown as { value: number }).value));
    return [v[0] ?? -1, v[1] ?? -1];
  };
  const listen = page.getByLabel('Listen to');
  await listen.selectOption({ label: 'Olga only' });
  await page.getByRole('button', { name: 'Play' }).click();
  let seen: [number, number] = [0, 0];
  await waitFor('Olga in both ears', async () => ((seen = await ears()), seen[0] > 0.05 && seen[1] > 0.05), 5000, () => seen);
  await listen.selectOption({ label: 'Both sides' });
  await waitFor('Olga on the left only', async () => ((seen = await ears()), seen[0] > 0.05 && seen[1] < 0.01), 3000, () => seen);
  await listen.selectOption({ label: 'Quiet only' });
  await waitFor('silence in both ears', async () => ((seen = await ears()), seen[0] >= 0 && seen[0] < 0.01 && seen[1] < 0.01), 3000, () => seen);
  assert.deepEqual(await unnamedControls(page), [], 'player with ear meters');
  await finish(context);
});

test('live rows: a call that starts while the list is open appears as recording with its duration counting, then turns available by itself', async () => {
  const { context, page } = await newPage();
  await signIn(page);
  await page.locator(`tr[data-id="${first.id}"]`).waitFor();
  const placed = call('+15557800', 'Live Row', '+15557801', 'Callee', 14_000);
  const row = page.locator('tr.active').filter({ hasText: '+15557800' });
  await row.waitFor({ timeout: 15_000 });
  const d1 = await row.locator('.live-duration').innerText();
  await page.waitForTimeout(1100);
  assert.ok((await row.locator('.live-duration').innerText()) > d1, 'the duration counts up');
  const id = await row.getAttribute('data-id');
  const { callId } = await placed;
  await recordedCall(admin, '+15557800', callId);
  // No reload: the row refreshes itself while it is live.
  await page.locator(`tr[data-id="${id}"]:not(.active)`).waitFor({ timeout: 10_000 });
  assert.equal(await page.locator(`tr[data-id="${id}"] .live-duration`).count(), 0, 'a finished call has its final duration');
  await finish(context);
});

test('keyboard only: sign in, open a call from the list, play it with Space', async () => {
  const { context, page } = await newPage();
  await page.goto('/');
  // The username field has the focus on arrival (once the app knows nobody is signed in).
  await waitFor('focus on Username', async () => (await page.evaluate('document.activeElement?.id')) === 'username', 10_000);
  await page.keyboard.type('admin');
  await page.keyboard.press('Tab');
  await page.keyboard.type(ADMIN_PASSWORD);
  await page.keyboard.press('Enter');
  await page.locator(`tr[data-id="${first.id}"]`).waitFor();
  let found = false;
  for (let i = 0; i < 80 && !found; i++) {
    await page.keyboard.press('Tab');
    found = await page.evaluate(`document.activeElement?.tagName === 'A' && document.activeElement.closest('tr')?.dataset.id === ${JSON.stringify(first.id)}`);
  }
  assert.ok(found, 'Tab reaches the Open link of the call');
  await page.keyboard.press('Enter');
  await page.waitForURL(`**/interactions/${first.id}`);
  await waitFor('player ready', () => page.getByRole('button', { name: 'Play' }).isEnabled(), 15_000);
  await page.locator('body').focus();
  await page.keyboard.press('Space');
  await page.getByText('PLAYING').waitFor();
  await waitFor('playback to advance', async () => (await audio(page)).currentTime > 0.3, 10_000);
  await page.keyboard.press('Space');
  await page.getByText('PAUSED').waitFor();
  // ArrowRight seeks forward 5 s (clamped to the 4 s call), ArrowLeft back.
  const before = (await audio(page)).currentTime;
  await page.keyboard.press('ArrowLeft');
  await waitFor('seek back', async () => (await audio(page)).currentTime < before, 5_000);
  await screenshot(page, 'keyboard-player');
  await finish(context);
});

test('every form control on every screen has an accessible name', async () => {
  const { context, page } = await newPage();
  await page.goto('/');
  await page.getByLabel('Username').waitFor();
  assert.deepEqual(await unnamedControls(page), [], 'sign-in');
  await signIn(page);
  await page.locator(`tr[data-id="${first.id}"]`).waitFor();
  await page.getByRole('button', { name: 'Select Columns' }).click();
  assert.deepEqual(await unnamedControls(page), [], 'interactions');
  // Seed 000's Call Link form (/ui/interactions/<Call Id>) opens the player too.
  await page.goto(`/ui/interactions/${first.id}`);
  await page.waitForURL((url) => url.pathname === `/interactions/${first.id}`);
  await waitFor('player ready', () => page.getByRole('button', { name: 'Play' }).isEnabled(), 15_000);
  assert.deepEqual(await unnamedControls(page), [], 'player');
  await page.goto('/calls');
  await page.getByText('Total Calls:').waitFor();
  assert.deepEqual(await unnamedControls(page), [], 'active calls');
  await finish(context);
});

test('active calls count up live; an ended session sends the browser back to sign-in with a message', async () => {
  const { context, page } = await newPage();
  await signIn(page);
  await page.getByRole('link', { name: 'Active Calls', exact: true }).click();
  await page.getByText('No calls are being recorded right now').waitFor();
  const live = call('+15557000', 'Eve Live', '+15557001', 'Frank', 6000);
  const row = page.locator('tr.active');
  await row.waitFor({ timeout: 10_000 });
  assert.match(await row.innerText(), /\+15557000/);
  const d1 = await row.locator('.live-duration').innerText();
  await page.waitForTimeout(2100);
  const d2 = await row.locator('.live-duration').innerText();
  assert.ok(d2 > d1, `duration counts up: ${d1} -> ${d2}`);
  assert.match(await page.locator('.counter').innerText(), /Total Calls: 1/);
  await screenshot(page, 'active-calls');
  await live;

  // The session ends (here: its cookie is gone); the next request answers 401.
  await context.clearCookies();
  await page.getByRole('link', { name: 'Interactions' }).click();
  await page.getByText('Your session has ended. Sign in again to continue.').waitFor();
  assert.equal(await page.getByLabel('Username').isVisible(), true);
  await screenshot(page, 'session-ended');
  await finish(context);
});

test('a User changes the initial password, then sees only the calls of its extension', async () => {
  const res = await admin.fetch('/api/v1/users', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'carol', password: 'Initial-Pa55word-1', role: 'user', extensions: ['+15553000'] }),
  });
  assert.equal(res.status, 201, await res.text());
  const { context, page } = await newPage();
  await signIn(page, 'carol', 'Initial-Pa55word-1');
  await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
  await page.getByLabel('Current password').fill('Initial-Pa55word-1');
  await page.getByLabel('New password', { exact: true }).fill('Carols-Own-Pa55word');
  await page.getByLabel('New password again').fill('Carols-Own-Pa55word');
  await page.getByRole('button', { name: 'Change password' }).click();
  await page.locator(`tr[data-id="${second.id}"]`).waitFor();
  assert.deepEqual(await rowIds(page), [second.id]);
  assert.equal(await page.getByLabel('Unassigned calls only').count(), 0, 'no admin-only filter for a User');
  // Alice's call is not Carol's: its player link answers "not found", not the call.
  await page.goto(`/interactions/${first.id}`);
  await page.getByText('does not exist or you are not allowed to see it').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Play' }).count(), 0);
  await screenshot(page, 'user-scope');
  await finish(context);

  // An administrator filtering by User name sees what Carol sees.
  const adminView = await newPage();
  await signIn(adminView.page);
  await adminView.page.locator(`tr[data-id="${first.id}"]`).waitFor();
  await adminView.page.getByLabel('User name').selectOption({ label: 'carol' });
  await adminView.page.getByRole('button', { name: 'Search', exact: true }).click();
  await waitFor('only Carol\'s call', async () => JSON.stringify(await rowIds(adminView.page)) === JSON.stringify([second.id]), 10_000, () => rowIds(adminView.page));
  await finish(adminView.context);
});

test('My Active Calls: a User sees only their own live call as a card, its duration counting up, and notes it while it lasts', async () => {
  await readyUser(admin, { username: 'mona', role: 'user', extensions: ['+15558000'] }, 'Monas-Own-Pa55word');

  const { context, page } = await newPage();
  await signIn(page, 'mona', 'Monas-Own-Pa55word');
  await page.getByRole('link', { name: 'My Active Calls' }).click();
  await page.getByText('You have no call being recorded right now').waitFor();
  const hers = call('+15558000', 'Mona', '+15558001', 'Customer', 9000);
  const other = call('+15559100', 'Somebody Else', '+15559101', 'Another', 9000);
  const card = page.locator('article.call-card');
  await card.first().waitFor({ timeout: 10_000 });
  assert.equal(await card.count(), 1, 'only her call');
  assert.match(await card.innerText(), /\+15558000/);
  assert.doesNotMatch(await card.innerText(), /\+15559100/);
  const d1 = await card.locator('.live-duration').innerText();
  await page.waitForTimeout(1500);
  const d2 = await card.locator('.live-duration').innerText();
  assert.ok(d2 > d1, `duration counts up: ${d1} -> ${d2}`);
  await card.getByText('Tag and Note').click();
  await card.getByLabel('New note').fill('Customer asked for a callback');
  await card.getByRole('button', { name: 'Insert Note' }).click();
  await card.getByText('Customer asked for a callback').waitFor();
  assert.deepEqual(await unnamedControls(page), [], 'my active calls');
  await screenshot(page, 'my-active-calls');
  const [done] = await Promise.all([hers, other]);
  // The call ends: the card goes, the note stays on the recording.
  await card.waitFor({ state: 'detached', timeout: 15_000 });
  const recorded = await recordedCall(admin, '+15558000', done.callId);
  const detail = await admin.json<{ notes: Array<{ text: string; author: string | null }> }>(`/api/v1/interactions/${recorded.id}`);
  assert.deepEqual(detail.notes.map((n) => [n.author, n.text]), [['mona', 'Customer asked for a callback']]);
  await finish(context);
});

test('an account with TOTP: the authenticator code field appears after the password, and a wrong code is refused', async () => {
  await readyUser(admin, { username: 'tina', role: 'supervisor' }, 'Tinas-Own-Pa55word');
  const tina = await PortalClient.login(app.portalUrl, 'tina', 'Tinas-Own-Pa55word');
  const enrol = await tina.fetch('/api/v1/auth/totp/enrol', { method: 'POST' });
  const { secret } = (await enrol.json()) as { secret: string };
  const confirmed = await tina.fetch('/api/v1/auth/totp/confirm', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code: totpCode(secret, Date.now()) }),
  });
  assert.equal(confirmed.status, 200, await confirmed.text());

  const { context, page } = await newPage();
  await signIn(page, 'tina', 'Tinas-Own-Pa55word');
  const code = page.getByLabel('Authenticator code');
  await code.waitFor();
  await waitFor('focus on the code field', async () => (await page.evaluate('document.activeElement?.id')) === 'totp', 5_000);
  const good = totpCode(secret, Date.now() + 30_000); // the next step: the confirm used this one
  const wrong = good === '000000' ? '111111' : '000000';
  await code.fill(wrong);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('The authenticator code is wrong').waitFor();
  await code.fill(good);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Interactions' }).waitFor();
  await screenshot(page, 'totp-signed-in');
  await finish(context);
});

test('the portal serves the app for deep links, caches hashed assets, and keeps JSON 404s for the API', async () => {
  const deep = await fetch(`${app.portalUrl}/interactions/${first.id}`);
  assert.equal(deep.status, 200);
  assert.match(deep.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(deep.headers.get('content-security-policy') ?? '', /default-src 'self'/);
  const html = await deep.text();
  const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
  assert.ok(asset, 'index.html loads a bundled script from /assets');
  const js = await fetch(`${app.portalUrl}${asset}`);
  assert.equal(js.status, 200);
  assert.match(js.headers.get('cache-control') ?? '', /immutable/);
  const api404 = await fetch(`${app.portalUrl}/api/v1/no-such-thing`);
  assert.equal(api404.status, 404);
  assert.equal(((await api404.json()) as { error: string }).error, 'Not Found');
  assert.equal((await fetch(`${app.portalUrl}/assets/missing.js`)).status, 404);
});

test('paging: Rows per page and Next/Previous page walk the whole list with the API cursor', async () => {
  const list = () => admin.json<{ items: Array<{ id: string; status: string }> }>('/api/v1/interactions?limit=100');
  const already = (await list()).items.length; // the calls of the tests before (3)
  const calls = await Promise.all(Array.from({ length: 12 - already }, (_, i) => call(`+1555800${i}`, `Pager ${i}`, `+1555900${i}`, `Callee ${i}`, 1000)));
  for (const c of calls) assert.equal(c.answerStatus, 200);
  const all = await waitFor('12 stored calls', async () => {
    const page = await list();
    return page.items.length === 12 && page.items.every((i) => i.status === 'available') ? page.items.map((i) => i.id) : null;
  }, 20_000);
  const { context, page } = await newPage();
  await signIn(page);
  await page.locator(`tr[data-id="${first.id}"]`).waitFor();
  await page.getByLabel('Rows per page').selectOption('10');
  await waitFor('10 rows', async () => (await rowIds(page)).length === 10, 10_000);
  const page1 = await rowIds(page);
  assert.equal(await page.getByRole('button', { name: 'Previous page' }).isDisabled(), true);
  await page.getByRole('button', { name: 'Next page' }).click();
  await waitFor('2 rows on page 2', async () => (await rowIds(page)).length === 2, 10_000);
  const page2 = await rowIds(page);
  assert.equal(await page.getByRole('button', { name: 'Next page' }).isDisabled(), true);
  assert.deepEqual(new Set([...page1, ...page2]), new Set(all), 'the two pages hold every call once');
  await screenshot(page, 'paging');
  await page.getByRole('button', { name: 'Previous page' }).click();
  await waitFor('page 1 again', async () => JSON.stringify(await rowIds(page)) === JSON.stringify(page1), 10_000);
  await finish(context);
});
