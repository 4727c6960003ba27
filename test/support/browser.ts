// Real headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core, for the web UI tests.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO } from './appliance.js';

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
