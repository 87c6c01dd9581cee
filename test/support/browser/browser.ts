import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { ensureBoardBuilt } from '../../../web/scripts/ensure-build.ts';
import { REPO_ROOT } from '../processes.ts';

/** Debian's Chromium, driven by playwright-core (no browser download). */
export const CHROMIUM = process.env.OPENVIBER_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = join(REPO_ROOT, 'test-output', 'screenshots');

export const VIEWPORTS = {
  desktop: { width: 1440, height: 900 },
  mobile: { width: 390, height: 844 },
} as const;
export type ViewportName = keyof typeof VIEWPORTS;

/** Generous: a loaded 2-core machine runs two gateways, two daemons and two browsers at once. */
export const UI_TIMEOUT_MS = 45_000;

export interface LaunchOptions {
  /**
   * PEM certificate files of https servers this browser accepts although no root it trusts signed
   * them (a test's own CA): Chromium's --ignore-certificate-errors-spki-list, pinned to each
   * certificate's public key. Every other certificate is checked as usual.
   */
  acceptCertificates?: string[];
}

/** Launches headless Chromium with a fresh profile (playwright makes a temp user-data-dir per launch). */
export async function launchBrowser(options: LaunchOptions = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (or set OPENVIBER_CHROMIUM)`);
  }
  await ensureBoardBuilt();
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
      ...(options.acceptCertificates?.length
        ? [`--ignore-certificate-errors-spki-list=${options.acceptCertificates.map(spkiHash).join(',')}`]
        : []),
    ],
  });
}

/** The base64 SHA-256 of a PEM certificate's public key (SubjectPublicKeyInfo), as Chromium pins it. */
function spkiHash(certificateFile: string): string {
  const spki = new X509Certificate(readFileSync(certificateFile)).publicKey.export({
    type: 'spki',
    format: 'der',
  });
  return createHash('sha256').update(spki).digest('base64');
}

export interface ContextOptions {
  viewport?: ViewportName;
  colorScheme?: 'light' | 'dark';
  /** The browser's IANA time zone (default: the machine's). */
  timezoneId?: string;
}

export async function newContext(browser: Browser, options: ContextOptions = {}): Promise<BrowserContext> {
  const viewport = VIEWPORTS[options.viewport ?? 'desktop'];
  const context = await browser.newContext({
    viewport,
    colorScheme: options.colorScheme ?? 'light',
    deviceScaleFactor: 1,
    isMobile: options.viewport === 'mobile',
    hasTouch: options.viewport === 'mobile',
    reducedMotion: 'reduce',
    ...(options.timezoneId ? { timezoneId: options.timezoneId } : {}),
  });
  context.setDefaultTimeout(UI_TIMEOUT_MS);
  return context;
}

/** Saves a full-viewport screenshot under test-output/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, animations: 'disabled', caret: 'hide' });
  return path;
}

/** Browser console errors and failed page loads, so a test can show what the page said. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  return errors;
}

/**
 * One Chromium per test file and fresh contexts per test, all closed after it: registers the
 * vitest hooks, so a test file only asks for contexts.
 */
export function useBrowser(): { context(options?: ContextOptions): Promise<BrowserContext> } {
  let browser: Browser | undefined;
  const open: BrowserContext[] = [];
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((context) => context.close()));
  });
  afterAll(async () => {
    await browser?.close();
  });
  return {
    async context(options) {
      const context = await newContext(browser!, options);
      open.push(context);
      return context;
    },
  };
}
