// Real headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core, for the web UI tests.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ADMIN_PASSWORD, REPO } from './appliance.js';

export const CHROMIUM = process.env.SIPVAULT_CHROMIUM ?? '/usr/bin/chromium';
/** Screenshots of the browser tests (git-ignored). */
export const SCREENSHOT_DIR = join(REPO, 'test-output', 'web-ui');

export interface TestBrowser {
  browser: Browser;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  // playwright gives every launch a fresh temporary profile (it refuses --user-data-dir in args).
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  return {
    browser,
    close: async () => {
      await browser.close();
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Every visible form control without an accessible name (Playwright's ARIA snapshot), described. */
export async function unnamedControls(page: Page): Promise<string[]> {
  const controls = page.locator('input:visible, select:visible, textarea:visible, button:visible');
  const count = await controls.count();
  assert.ok(count > 0);
  const missing: string[] = [];
  for (let i = 0; i < count; i++) {
    const snap = (await controls.nth(i).ariaSnapshot()).split('\n')[0]!;
    // A name with a colon makes the YAML line a quoted scalar: - 'checkbox "Active: dora"'.
    if (!/^- '?\w+ "[^"]+"/.test(snap)) missing.push(`${snap} ${await controls.nth(i).evaluate((e) => e.outerHTML.slice(0, 120))}`);
  }
  return missing;
}

/**
 * The pages of one test file, each in a context of its own (cookies, storage), with the uncaught
 * errors of every page collected: `finish` closes a context and asserts there were none.
 */
export function browserPages(target: () => { chrome: TestBrowser; baseUrl: string }): {
  newPage(): Promise<{ context: BrowserContext; page: Page }>;
  finish(context: BrowserContext): Promise<void>;
} {
  const errors: string[] = [];
  return {
    async newPage() {
      const { chrome, baseUrl } = target();
      const context = await chrome.browser.newContext({ baseURL: baseUrl, viewport: { width: 1280, height: 900 }, acceptDownloads: true });
      const page = await context.newPage();
      page.on('pageerror', (e) => errors.push(e.message));
      return { context, page };
    },
    async finish(context) {
      await context.close();
      assert.deepEqual(errors.splice(0), [], 'no uncaught errors in the page');
    },
  };
}

/** Fills in the sign-in form and submits it (what follows depends on the account: wait for it). */
export async function signIn(page: Page, username = 'admin', password = ADMIN_PASSWORD): Promise<void> {
  await page.goto('/');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}
