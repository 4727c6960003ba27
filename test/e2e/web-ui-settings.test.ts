// The web UI's settings screens in real headless Chromium against the real appliance: the
// Branding logo (seed 000 "New Logo"), login sessions, storage targets against a real s3rver,
// SNMPv3 trap destinations, and the "Rows per page" of the administration lists.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { readyUser, startAppliance, PortalClient, waitFor, type Appliance } from '../support/appliance.js';
import { browserPages, launchBrowser, screenshot, signIn, unnamedControls, type TestBrowser } from '../support/browser.js';
import { S3Server, S3RVER_KEY } from '../support/s3-server.js';
import { totpCode } from '../../portal/auth/totp.js';

let app: Appliance;
let chrome: TestBrowser;
let admin: PortalClient;

before(async () => {
  [app, chrome] = await Promise.all([startAppliance(), launchBrowser()]);
  admin = await PortalClient.login(app.portalUrl);
});
after(async () => {
  await chrome?.close();
  await app?.stop();
});

const { newPage, finish } = browserPages(() => ({ chrome, baseUrl: app.portalUrl }));

/** Signs in and waits for the portal's header (these accounts have nothing pending). */
async function signedIn(page: Page, username?: string, password?: string): Promise<void> {
  await signIn(page, username, password);
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

async function openAdmin(page: Page, screen: string): Promise<void> {
  await page.getByRole('link', { name: 'Administration' }).click();
  await page.getByRole('navigation', { name: 'Administration screens' }).getByRole('link', { name: screen, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: screen }).waitFor();
}

/** A PNG drawn by the browser itself: `w` x `h`, one colour. */
async function drawPng(page: Page, w: number, h: number): Promise<Buffer> {
  // A string, so the test's TypeScript needs no DOM types.
  const b64 = await page.evaluate<string>(`(() => {
    const c = document.createElement('canvas');
    c.width = ${w};
    c.height = ${h};
    const g = c.getContext('2d');
    g.fillStyle = '#e11d48';
    g.fillRect(0, 0, ${w}, ${h});
    return c.toDataURL('image/png').split(',')[1];
  })()`);
  return Buffer.from(b64, 'base64');
}

/** The decoded width of an <img>: 0 while it has not loaded or is broken. */
const naturalWidth = (img: ReturnType<Page['locator']>): Promise<number> =>
  img.evaluate((el) => ((el as unknown as { complete: boolean; naturalWidth: number }).complete ? (el as unknown as { naturalWidth: number }).naturalWidth : 0));

test('Branding: a New Logo is checked, applied, shown top left and on the sign-in page, audited, and removed again', async () => {
  const { context, page } = await newPage();
  await signedIn(page);
  assert.equal(await page.locator('header .brand').innerText(), 'sipvault', 'no logo yet: the product name');
  await openAdmin(page, 'Branding');
  assert.deepEqual(await unnamedControls(page), [], 'branding screen');

  // An SVG is refused before it is sent, with what to do instead.
  const file = page.getByLabel('New Logo: Browse…');
  await file.setInputFiles({ name: 'logo.svg', mimeType: 'image/svg+xml', buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>') });
  await page.getByRole('alert').filter({ hasText: 'SVG is not accepted' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Apply' }).isDisabled(), true);

  const png = await drawPng(page, 120, 40);
  await file.setInputFiles({ name: 'acme.png', mimeType: 'image/png', buffer: png });
  await page.getByAltText('New logo preview').waitFor();
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.getByRole('status').filter({ hasText: 'The new logo is shown' }).waitFor();
  const logo = page.locator('header img.logo');
  await logo.waitFor();
  await waitFor('the header shows the uploaded image, 120 px wide', async () => (await naturalWidth(logo)) === 120, 5000);
  await screenshot(page, 'branding');

  // The image served is the one uploaded, typed by its content.
  const info = (await admin.json<{ logo: { url: string; mime: string; width: number; height: number } }>('/api/v1/branding')).logo;
  assert.deepEqual({ mime: info.mime, width: info.width, height: info.height }, { mime: 'image/png', width: 120, height: 40 });
  const served = await fetch(`${app.portalUrl}${info.url}`);
  assert.equal(served.headers.get('content-type'), 'image/png');
  assert.deepEqual(Buffer.from(await served.arrayBuffer()), png);

  // The sign-in page carries it too.
  await page.getByRole('button', { name: 'Sign out' }).click();
  const signInLogo = page.locator('main.auth-card img.auth-brand');
  await signInLogo.waitFor();
  await waitFor('the sign-in page shows the logo', async () => (await naturalWidth(signInLogo)) === 120, 5000);

  // Audited as a change of Branding.
  const audit = await admin.json<{ items: Array<{ kind: string; item: string; username: string; description: string }> }>('/api/v1/audit?item=Branding');
  assert.equal(audit.items.length, 1, JSON.stringify(audit.items));
  assert.equal(audit.items[0]!.kind, 'Add');
  assert.equal(audit.items[0]!.username, 'admin');

  await signedIn(page);
  await openAdmin(page, 'Branding');
  await page.getByRole('button', { name: 'Remove logo' }).click();
  await page.getByRole('status').filter({ hasText: 'The logo was removed' }).waitFor();
  assert.equal(await page.locator('header .brand').innerText(), 'sipvault');
  assert.equal((await fetch(`${app.portalUrl}/api/v1/branding/logo`)).status, 404);
  await finish(context);
});

test('Branding API: the type comes from the image, not the header; scripts-capable and oversized files are refused', async () => {
  const put = (body: Buffer, type: string) => admin.fetch('/api/v1/branding/logo', { method: 'PUT', headers: { 'content-type': type }, body });
  const text = await put(Buffer.from('not an image at all'), 'image/png');
  assert.equal(text.status, 415);
  assert.match(((await text.json()) as { message: string }).message, /PNG, JPEG, GIF or WebP/);
  const svg = await put(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>'), 'image/svg+xml');
  assert.equal(svg.status, 415);
  assert.match(((await svg.json()) as { message: string }).message, /SVG/);
  const big = await put(Buffer.alloc(600 * 1024, 1), 'image/png');
  assert.equal(big.status, 413);
  // A GIF sent as "image/png" is stored and served as the GIF it is.
  const gif = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
  const ok = await put(gif, 'image/png');
  assert.equal(ok.status, 200, await ok.clone().text());
  assert.equal(((await ok.json()) as { logo: { mime: string } }).logo.mime, 'image/gif');
  const anon = await fetch(`${app.portalUrl}/api/v1/branding/logo`, { method: 'PUT', headers: { 'content-type': 'image/gif' }, body: gif });
  assert.equal(anon.status, 401, 'changing the logo needs a session');
  const del = await admin.fetch('/api/v1/branding/logo', { method: 'DELETE' });
  assert.equal(del.status, 200);
});

test('administration lists page with "Rows per page: 10"; the Users header counts them all', async () => {
  for (let i = 1; i <= 12; i++) {
    const res = await admin.fetch('/api/v1/users', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: `pager${String(i).padStart(2, '0')}`, password: 'Pager-Passw0rd-2026!', role: 'user' }),
    });
    assert.equal(res.status, 201, await res.text());
  }
  const total = (await admin.json<{ items: unknown[] }>('/api/v1/users')).items.length;
  assert.ok(total >= 13);
  const { context, page } = await newPage();
  await signedIn(page);
  await openAdmin(page, 'Users');
  await page.getByText(`Total Users: ${total}`).waitFor();
  const rows = page.locator('table[aria-label="Users"] tbody tr');
  const pager = page.getByRole('navigation', { name: 'Users pages' });
  assert.equal(await rows.count(), 10, 'ten rows per page by default');
  assert.equal(await pager.locator('.page-summary').innerText(), `1–10 of ${total}`);
  assert.equal(await pager.getByRole('button', { name: 'Previous page' }).isDisabled(), true);
  await pager.getByRole('button', { name: 'Next page' }).click();
  assert.equal(await rows.count(), total - 10);
  assert.equal(await pager.locator('.page-summary').innerText(), `11–${total} of ${total}`);
  assert.equal(await pager.getByRole('button', { name: 'Next page' }).isDisabled(), true);
  await pager.getByLabel('Rows per page').selectOption('25');
  assert.equal(await rows.count(), total, 'one page of 25 holds them all');
  // The pages together are the API's list, each user once.
  const shown = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-user')));
  assert.equal(new Set(shown).size, total);
  assert.deepEqual(await unnamedControls(page), [], 'users screen with its pager');
  await finish(context);
});

test('sessions: My account lists this browser and ends another of mine; Web Sessions ends another user\'s session', async () => {
  const mine = await newPage();
  const other = await newPage();
  await signedIn(mine.page);
  await signedIn(other.page);
  const dora = await (async () => {
    const res = await admin.fetch('/api/v1/users', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'dora', password: 'Dora-Passw0rd-2026!', role: 'user' }),
    });
    assert.equal(res.status, 201, await res.text());
    return PortalClient.login(app.portalUrl, 'dora', 'Dora-Passw0rd-2026!');
  })();

  // My account: the header's user name leads there; admin's sessions only, this one marked.
  await mine.page.getByRole('link', { name: /My account/ }).click();
  await mine.page.getByRole('heading', { level: 1, name: 'My account' }).waitFor();
  const table = mine.page.getByRole('table', { name: 'My sessions' });
  await table.locator('tbody tr').first().waitFor();
  const users = await table.locator('tbody tr').count();
  const adminSessions = (await admin.json<{ items: Array<{ username: string }> }>('/api/v1/sessions')).items.filter((s) => s.username === 'admin').length;
  assert.equal(users, adminSessions, 'every session of admin, none of dora');
  assert.equal(await table.getByText('this browser').count(), 1);
  assert.deepEqual(await unnamedControls(mine.page), [], 'account page');
  await screenshot(mine.page, 'account');

  // End the other browser's session: its next request finds itself signed out.
  const otherId = await other.page.evaluate(() => fetch('/api/v1/sessions').then((r) => r.json() as Promise<{ items: Array<{ id: string; current: boolean }> }>).then((b) => b.items.find((s) => s.current)!.id));
  await table.locator(`tr[data-session="${otherId}"]`).getByRole('button', { name: /^End the session of admin/ }).click();
  await mine.page.getByRole('status').filter({ hasText: 'has ended' }).waitFor();
  await other.page.getByRole('link', { name: 'Administration' }).click();
  await other.page.getByText('Your session has ended. Sign in again to continue.').waitFor();

  // Web Sessions (Terminate User Web Sessions): dora's session, ended by the admin.
  assert.equal((await dora.fetch('/api/v1/auth/session')).status, 200);
  await openAdmin(mine.page, 'Web Sessions');
  const all = mine.page.getByRole('table', { name: 'Web sessions' });
  const doraRow = all.locator('tbody tr').filter({ has: mine.page.getByRole('cell', { name: 'dora', exact: true }) });
  await doraRow.waitFor();
  await doraRow.getByRole('button', { name: /^End the session of dora/ }).click();
  await mine.page.getByRole('status').filter({ hasText: 'The session of dora' }).waitFor();
  assert.equal((await dora.fetch('/api/v1/auth/session')).status, 401, 'dora is signed out');
  const audit = await admin.json<{ items: Array<{ action: string; target: string }> }>('/api/v1/audit?action=session.terminate');
  assert.ok(audit.items.some((a) => a.target === 'dora'), JSON.stringify(audit.items));

  // Ending this browser's own session is signing out.
  await mine.page.getByRole('link', { name: /My account/ }).click();
  await mine.page.getByRole('button', { name: 'Sign out this browser' }).click();
  await mine.page.getByLabel('Username').waitFor();
  await other.context.close();
  await finish(mine.context);
});

test('storage targets: an S3 target added by the form passes Test connection against a real s3rver, keeps its secret on edit, fails the test while s3rver is down, and is removed', async () => {
  const s3 = await S3Server.start();
  try {
    const { context, page } = await newPage();
    await signedIn(page);
    await openAdmin(page, 'System Settings');
    await page.getByRole('button', { name: 'Add storage target' }).click();
    const form = page.getByRole('form', { name: 'New storage target' });
    await form.getByLabel('Type').selectOption('s3');
    await form.getByLabel('Name').fill('Archive');
    await form.getByLabel('Endpoint host').fill('127.0.0.1');
    await form.getByLabel('Port').fill(String(s3.port));
    await form.getByLabel('Use TLS (HTTPS)').uncheck();
    await form.getByLabel('Bucket').fill('ui-archive');
    await form.getByLabel('Access key').fill(S3RVER_KEY);
    await form.getByLabel('Secret key').fill(S3RVER_KEY);
    assert.deepEqual(await unnamedControls(page), [], 'storage target form');
    await form.getByRole('button', { name: 'Add target' }).click();
    await page.getByRole('status').filter({ hasText: 'Storage target Archive added' }).waitFor();

    const row = page.getByRole('table', { name: 'Storage targets' }).locator('tr[data-target="Archive"]');
    await row.getByRole('button', { name: 'Test connection: Archive' }).click();
    await page.getByRole('status').filter({ hasText: 'Connected to Archive' }).waitFor();
    await waitFor('the last test shown as OK', async () => /OK ·/.test(await row.innerText()), 5000);
    await screenshot(page, 'storage-targets');

    // Edit: the secret is shown masked and kept when left alone.
    await row.getByRole('button', { name: 'Edit Archive' }).click();
    const edit = page.getByRole('form', { name: 'Edit storage target Archive' });
    assert.equal(await edit.getByLabel('Secret key').inputValue(), '********');
    await edit.getByLabel('Bucket').fill('ui-archive-2');
    await edit.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Archive is not active' }).waitFor();
    const stored = (await admin.json<{ items: Array<{ name: string; settings: Record<string, unknown> }> }>('/api/v1/storage/targets')).items.find((t) => t.name === 'Archive')!;
    assert.equal(stored.settings.bucket, 'ui-archive-2');
    assert.equal(stored.settings.secretKey, '********', 'the API never shows the secret');
    await row.getByRole('button', { name: 'Test connection: Archive' }).click();
    await page.getByRole('status').filter({ hasText: 'Connected to Archive' }).waitFor();

    // An outage: the test fails with the reason, shown where the admin looks.
    await s3.kill();
    await row.getByRole('button', { name: 'Test connection: Archive' }).click();
    await page.getByRole('alert').filter({ hasText: 'Test connection to Archive failed' }).waitFor();
    await waitFor('the last test shown as failed', async () => /Failed ·/.test(await row.innerText()), 5000);

    await row.getByRole('button', { name: 'Remove Archive' }).click();
    await page.getByRole('status').filter({ hasText: 'Storage target Archive removed' }).waitFor();
    await row.waitFor({ state: 'detached' });
    const audit = await admin.json<{ items: Array<{ action: string; target: string; details: { op?: string } | null }> }>('/api/v1/audit?item=Storage&target=Archive');
    assert.deepEqual(audit.items.filter((a) => a.action === 'config.change').map((a) => a.details?.op).reverse(), ['create', 'update', 'delete']);
    await finish(context);
  } finally {
    await s3.destroy();
  }
});

test('SNMP destinations: an SNMPv3 authPriv user added by the form is stored with its protocols and masked keys', async () => {
  const { context, page } = await newPage();
  await signedIn(page);
  await openAdmin(page, 'System Settings');
  const form = page.getByRole('form', { name: 'Add a trap destination' });
  await form.getByLabel('Host').fill('192.0.2.10');
  await form.getByLabel('Port').fill('10162');
  await form.getByLabel('SNMP version').selectOption('v3');
  await form.getByLabel('User name').fill('noc');
  assert.equal(await form.getByLabel('Privacy', { exact: true }).isDisabled(), true, 'no privacy without authentication');
  await form.getByLabel('Authentication', { exact: true }).selectOption('sha256');
  await form.getByLabel('Authentication key').fill('auth-key-0123');
  await form.getByLabel('Privacy', { exact: true }).selectOption('aes');
  await form.getByLabel('Privacy key').fill('priv-key-4567');
  assert.deepEqual(await unnamedControls(page), [], 'SNMPv3 form');
  await form.getByRole('button', { name: 'Add destination' }).click();
  await page.getByRole('status').filter({ hasText: 'Traps now also go to 192.0.2.10:10162 (v3)' }).waitFor();
  const row = page.getByRole('table', { name: 'SNMP destinations' }).locator('tbody tr').filter({ hasText: '192.0.2.10' });
  assert.match(await row.innerText(), /user noc, authPriv \(SHA256\/AES\)/);

  const dest = (await admin.json<{ items: Array<{ host: string; version: string; user?: Record<string, string> }> }>('/api/v1/snmp/destinations')).items.find((d) => d.host === '192.0.2.10')!;
  assert.deepEqual(dest.user, { name: 'noc', authProtocol: 'sha256', authKey: '********', privProtocol: 'aes', privKey: '********' });
  assert.equal(dest.version, 'v3');

  // A key the agent would refuse (RFC 3414 needs 8 characters) is stopped by the form, not sent.
  await form.getByLabel('Host').fill('192.0.2.11');
  await form.getByLabel('User name').fill('short');
  await form.getByLabel('Authentication', { exact: true }).selectOption('sha');
  await form.getByLabel('Authentication key').fill('short');
  await form.getByLabel('Privacy', { exact: true }).selectOption('');
  await form.getByRole('button', { name: 'Add destination' }).click();
  assert.equal(await form.getByLabel('Authentication key').evaluate((el) => (el as unknown as { validity: { valid: boolean } }).validity.valid), false);
  const after = (await admin.json<{ items: Array<{ host: string }> }>('/api/v1/snmp/destinations')).items;
  assert.ok(!after.some((d) => d.host === '192.0.2.11'), 'nothing stored');

  await row.getByRole('button', { name: 'Remove 192.0.2.10:10162' }).click();
  await row.waitFor({ state: 'detached' });
  await finish(context);
});

test('My account: turn on two-step sign-in with a code from the app, then off again with the password', async () => {
  await readyUser(admin, { username: 'theo', role: 'supervisor' }, 'Theos-Own-Pa55word');
  const login = (totp?: string) =>
    fetch(`${app.portalUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'theo', password: 'Theos-Own-Pa55word', ...(totp ? { totp } : {}) }),
    });

  const { context, page } = await newPage();
  await signedIn(page, 'theo', 'Theos-Own-Pa55word');
  await page.getByRole('link', { name: /My account/ }).click();
  await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
  const secret = (await page.locator('code.secret').innerText()).trim();
  assert.match(secret, /^[A-Z2-7]{16,}$/, 'a base32 key to type into the app');
  await page.getByLabel('Authenticator code').fill(totpCode(secret, Date.now()));
  await page.getByRole('button', { name: 'Turn on' }).click();
  await page.getByRole('status').filter({ hasText: 'Two-step sign-in is on' }).waitFor();
  assert.deepEqual(await unnamedControls(page), [], 'account page with two-step on');
  const withoutCode = await login();
  assert.equal(withoutCode.status, 401);
  assert.match(((await withoutCode.json()) as { message: string }).message, /TOTP code/);

  await page.getByLabel('Password', { exact: true }).fill('Theos-Own-Pa55word');
  await page.getByRole('button', { name: 'Turn off' }).click();
  await page.getByRole('status').filter({ hasText: 'Two-step sign-in is off' }).waitFor();
  await page.getByRole('button', { name: 'Set up an authenticator app' }).waitFor();
  assert.equal((await login()).status, 200, 'the password alone signs in again');
  await finish(context);
});
