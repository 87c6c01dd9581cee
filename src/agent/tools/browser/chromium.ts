import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';

/** Where Chromium is looked for when OPENVIBER_CHROMIUM is not set. */
export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';
export const CHROMIUM_ENV = 'OPENVIBER_CHROMIUM';

/** The flags every browser tool's Chromium runs with (docs/browser.md). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
] as const;

export type ChromiumStatus = { available: true; path: string } | { available: false; reason: string };

/** Whether the browser tools can run here: an executable Chromium at the configured path or the default one. */
export function chromiumStatus(env: NodeJS.ProcessEnv): ChromiumStatus {
  const configured = env[CHROMIUM_ENV]?.trim();
  const path = configured || DEFAULT_CHROMIUM_PATH;
  try {
    accessSync(path, constants.X_OK);
    return { available: true, path };
  } catch {
    const where = configured ? `${CHROMIUM_ENV}=${configured}` : DEFAULT_CHROMIUM_PATH;
    return {
      available: false,
      reason: `no executable Chromium at ${where}; install chromium or set ${CHROMIUM_ENV} to its path`,
    };
  }
}

interface Running {
  browser: Browser;
  path: string;
  userDataDir: string;
}

/**
 * The daemon's one Chromium, launched on the first browser tool call and shared by every task
 * (each gets its own context). A crashed or closed browser is launched again on the next call.
 */
class ChromiumProcess {
  #running: Promise<Running> | undefined;

  async browser(path: string): Promise<{ browser: Browser; relaunched: boolean }> {
    let relaunched = false;
    if (this.#running) {
      const running = await this.#running.catch(() => undefined);
      if (running?.browser.isConnected() && running.path === path)
        return { browser: running.browser, relaunched };
      relaunched = running !== undefined;
      if (running) await this.#dispose(running);
      this.#running = undefined;
    }
    const launching = launch(path);
    this.#running = launching;
    launching.catch(() => {
      if (this.#running === launching) this.#running = undefined;
    });
    return { browser: (await launching).browser, relaunched };
  }

  /** Ends the browser process (the daemon stops). */
  async close(): Promise<void> {
    const running = await this.#running?.catch(() => undefined);
    this.#running = undefined;
    if (running) await this.#dispose(running);
  }

  async #dispose(running: Running): Promise<void> {
    await running.browser.close().catch(() => undefined);
    rmSync(running.userDataDir, { recursive: true, force: true });
  }
}

async function launch(path: string): Promise<Running> {
  const { chromium } = await import('playwright-core');
  const userDataDir = mkdtempSync(join(tmpdir(), 'openviber-chromium-'));
  try {
    // A persistent context is the only way to give Chromium its own user data dir; each task
    // still gets a fresh, separate context from browser.newContext().
    const persistent = await chromium.launchPersistentContext(userDataDir, {
      executablePath: path,
      headless: true,
      args: [...CHROMIUM_ARGS],
      timeout: 30_000,
    });
    const browser = persistent.browser();
    if (!browser) throw new Error('Chromium started without a browser handle');
    return { browser, path, userDataDir };
  } catch (error) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw error;
  }
}

export const chromiumProcess = new ChromiumProcess();

/** Ends the shared Chromium, if one runs (the daemon stops). */
export function closeChromium(): Promise<void> {
  return chromiumProcess.close();
}
