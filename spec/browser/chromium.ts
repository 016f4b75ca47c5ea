// SPDX-License-Identifier: Apache-2.0
/**
 * Debian's Chromium driven by playwright-core (no browser download): `.ci/run` installs it with
 * apt-get when missing; by hand: `sudo apt-get install -y chromium`. Tests skip with a visible
 * message when /usr/bin/chromium is absent, and fail under CI=true.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.MOBILENETV2_CHROMIUM ?? '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);

if (!HAVE_CHROMIUM) {
  const msg = `browser tests: ${CHROMIUM} not found — install it with \`sudo apt-get install -y chromium\` (Debian) or set MOBILENETV2_CHROMIUM`;
  if (process.env.CI === 'true') throw new Error(`${msg} (CI=true: required)`);
  console.warn(`SKIP ${msg}`);
}

/** Flags that keep a headless Chromium off the network and away from any previous profile. */
const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export interface Browser {
  readonly context: BrowserContext;
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/** A fresh Chromium with an empty profile directory (removed on close). */
export async function launch(): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'mobilenetv2-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS });
  return {
    context,
    newPage: () => context.newPage(),
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Opens `url` and waits for the page's module script to set document.title = 'ready'; forwards console errors. */
export async function openHarness(browser: Browser, url: string, log: string[]): Promise<Page> {
  const page = await browser.newPage();
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') log.push(`[${m.type()}] ${m.text()}`); });
  page.on('pageerror', (e) => log.push(`[pageerror] ${e.message}`));
  await page.goto(url);
  await page.waitForFunction("document.title === 'ready'", null, { timeout: 30_000 });
  return page;
}
