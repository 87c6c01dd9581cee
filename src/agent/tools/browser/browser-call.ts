import type { Page } from 'playwright-core';
import type { ToolRun } from '../define-tool.ts';
import { errorMessage, ToolError } from '../tool-error.ts';
import { type BrowserSession, browserSession } from './browser-session.ts';
import { REF_ATTRIBUTE } from './page-snapshot.ts';

/** How long an action waits for its element or its page by default, and at most. */
export const BROWSER_DEFAULT_TIMEOUT_MS = 15_000;
export const BROWSER_MAX_TIMEOUT_SECONDS = 60;

export interface BrowserResult {
  url: string;
  title: string;
  /** What happened besides the action: dialogs dismissed, downloads, a restarted browser. */
  notices?: string[];
}

/**
 * Runs one browser action on the task's page and turns what Playwright throws into an error the
 * model can act on (a timeout, a page that navigated away, a browser that crashed).
 */
export async function browserCall<T extends object>(
  run: ToolRun,
  action: (page: Page, session: BrowserSession) => Promise<T>,
): Promise<T & BrowserResult> {
  const session = browserSession(run.context);
  const page = await session.page();
  const stop = () => void page.close().catch(() => undefined);
  run.signal.addEventListener('abort', stop, { once: true });
  try {
    const result = await action(page, session);
    const notices = session.takeNotices();
    return {
      ...result,
      url: page.url(),
      title: await page.title().catch(() => ''),
      ...(notices.length > 0 ? { notices } : {}),
    };
  } catch (error) {
    const notices = session.takeNotices();
    const message = explain(error, page, run.signal.aborted);
    throw new ToolError(
      ToolError.isInstance(error) ? error.code : 'failed',
      notices.length > 0 ? `${message} (${notices.join(' ')})` : message,
    );
  } finally {
    run.signal.removeEventListener('abort', stop);
  }
}

function explain(error: unknown, page: Page, aborted: boolean): string {
  if (ToolError.isInstance(error)) return error.message;
  if (aborted) return 'the task was stopped';
  const text = errorMessage(error).split('\n')[0] ?? '';
  if (error instanceof Error && error.name === 'TimeoutError') return `timed out: ${text}`;
  if (/has been closed|Target closed|crash/i.test(text))
    return 'the browser or the page crashed or was closed during the action; the next browser call starts a new page, open the URL again';
  if (/Execution context was destroyed|navigat|detached/i.test(text))
    return `the page navigated away during the action (now at ${safeUrl(page)}); take a new browser_snapshot and try again`;
  return text;
}

function safeUrl(page: Page): string {
  try {
    return page.url();
  } catch {
    return 'an unknown page';
  }
}

/** The element a snapshot reference names, or a clear error when it is gone. */
export async function elementByRef(page: Page, ref: string) {
  const locator = page.locator(`[${REF_ATTRIBUTE}="${ref}"]`);
  if ((await locator.count()) === 0) {
    throw new ToolError(
      'not_found',
      `element ${ref} is not on the page any more (the page changed or navigated, now at ${page.url()}); take a new browser_snapshot and use its references`,
    );
  }
  return locator.first();
}

export function timeoutMs(seconds: number | undefined): number {
  return seconds === undefined ? BROWSER_DEFAULT_TIMEOUT_MS : seconds * 1000;
}

/** Refuses what the browser may not open: anything but http(s), and any host without network access. */
export function checkNavigable(url: string, networkAccess: boolean | undefined): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ToolError('invalid_input', `${url} is not an absolute URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ToolError(
      'invalid_input',
      `the browser opens only http:// and https:// URLs, not ${parsed.protocol}`,
    );
  }
  if (networkAccess === false) {
    throw new ToolError(
      'not_configured',
      `network access is off in this environment: the browser may not open ${url}`,
    );
  }
}
