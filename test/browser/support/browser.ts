import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium; no browser is downloaded for the tests. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOTS = join(process.cwd(), 'test-results', 'screenshots');

/**
 * Launches headless Chromium. Playwright gives every launch a fresh temporary profile
 * (--user-data-dir) and removes it on close; the flags keep Chromium from calling home.
 */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 60_000,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export interface ConsolePage {
  page: Page;
  context: BrowserContext;
  /** Requests that left the console's own origin (must stay empty). */
  foreignRequests: string[];
  /** Uncaught exceptions in the page (must stay empty). */
  pageErrors: string[];
  screenshot(name: string): Promise<void>;
  close(): Promise<void>;
}

/** A fresh browser context (own storage) on the console, watching for requests elsewhere. */
export async function openConsole(
  browser: Browser,
  baseUrl: string,
  options: { locale?: string; width?: number; height?: number } = {},
): Promise<ConsolePage> {
  const context = await browser.newContext({
    baseURL: baseUrl,
    locale: options.locale ?? 'en-GB',
    timezoneId: 'Europe/Paris',
    viewport: { width: options.width ?? 1366, height: options.height ?? 900 },
  });
  context.setDefaultTimeout(20_000);
  const page = await context.newPage();
  const origin = new URL(baseUrl).origin;
  const foreignRequests: string[] = [];
  const pageErrors: string[] = [];
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(origin) && !url.startsWith('data:')) foreignRequests.push(url);
  });
  page.on('pageerror', (error) => {
    pageErrors.push(error.message);
  });
  await mkdir(SCREENSHOTS, { recursive: true });
  return {
    page,
    context,
    foreignRequests,
    pageErrors,
    async screenshot(name) {
      await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
    },
    async close() {
      await context.close();
    },
  };
}
