import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { BrowserContext, Download, Page } from 'playwright-core';
import type { ToolContext } from '../tool-context.ts';
import { errorMessage, ToolError } from '../tool-error.ts';
import { chromiumProcess, chromiumStatus } from './chromium.ts';

/** Most console errors and notices kept per task (the oldest go first). */
const MAX_CONSOLE = 200;
const MAX_NOTICES = 50;
/** Largest download kept as an artifact. */
export const MAX_DOWNLOAD_BYTES = 50 * 1024 * 1024;

export interface ConsoleEntry {
  type: string;
  text: string;
  url: string;
}

/**
 * One task's browser: its own context (cookies, storage) and page, created on the first browser
 * tool call and closed when the task stops or ends. What happened between calls (a dialog
 * dismissed, a download, a crash) is kept as notices the next tool result carries.
 */
export class BrowserSession {
  readonly console: ConsoleEntry[] = [];
  #notices: string[] = [];
  #context: BrowserContext | undefined;
  #page: Page | undefined;
  #opening: Promise<Page> | undefined;
  #closed = false;
  /** The next element reference number: references stay unique for the whole task. */
  nextRef = 1;

  private readonly tool: ToolContext;

  constructor(tool: ToolContext) {
    this.tool = tool;
  }

  notice(text: string): void {
    this.#notices.push(text);
    if (this.#notices.length > MAX_NOTICES) this.#notices.shift();
  }

  /** The notices since the last call, emptied. */
  takeNotices(): string[] {
    const taken = this.#notices;
    this.#notices = [];
    return taken;
  }

  /** The task's page, opening the browser, its context or a new page as needed. */
  async page(): Promise<Page> {
    if (this.#closed || this.tool.signal.aborted) throw new ToolError('aborted', 'the task was stopped');
    if (this.#page && !this.#page.isClosed()) return this.#page;
    this.#opening ??= this.#open().finally(() => {
      this.#opening = undefined;
    });
    return this.#opening;
  }

  /** The page if one is open, without opening anything. */
  get current(): Page | undefined {
    return this.#page && !this.#page.isClosed() ? this.#page : undefined;
  }

  async #open(): Promise<Page> {
    const status = chromiumStatus(this.tool.settingsEnv);
    if (!status.available) throw new ToolError('not_configured', status.reason);
    if (!this.#context?.browser()?.isConnected()) {
      const hadContext = this.#context !== undefined;
      let launched: Awaited<ReturnType<typeof chromiumProcess.browser>>;
      try {
        launched = await chromiumProcess.browser(status.path);
      } catch (error) {
        throw new ToolError('failed', `Chromium could not be started: ${errorMessage(error)}`);
      }
      if (hadContext || launched.relaunched) {
        this.notice(
          'The browser had stopped (crashed or closed) and was started again: the page is blank, open the URL again.',
        );
      }
      this.#context = await launched.browser.newContext({
        acceptDownloads: true,
        viewport: { width: 1280, height: 800 },
      });
      await this.#guardNetwork(this.#context);
    }
    const page = await this.#context.newPage();
    this.#watch(page);
    this.#page = page;
    return page;
  }

  /** With network access off, every request leaving the browser is aborted. */
  async #guardNetwork(context: BrowserContext): Promise<void> {
    if (this.tool.networkAccess !== false) return;
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (/^(https?|wss?|ftp):/i.test(url)) {
        this.notice(`A request to ${url} was blocked: network access is off in this environment.`);
        return route.abort('blockedbyclient');
      }
      return route.continue();
    });
    await context.routeWebSocket(/.*/, (socket) =>
      socket.close({ code: 1008, reason: 'network access is off' }),
    );
  }

  #watch(page: Page): void {
    page.on('console', (message) => {
      const type = message.type();
      if (type !== 'error' && type !== 'warning') return;
      this.#pushConsole({ type, text: message.text(), url: message.location().url });
    });
    page.on('pageerror', (error) =>
      this.#pushConsole({ type: 'pageerror', text: error.message, url: page.url() }),
    );
    page.on('dialog', (dialog) => {
      this.notice(`A ${dialog.type()} dialog said "${dialog.message().slice(0, 500)}"; it was dismissed.`);
      dialog.dismiss().catch(() => undefined);
    });
    page.on('crash', () => {
      this.notice('The page crashed; the next browser call opens a blank page.');
      page.close().catch(() => undefined);
    });
    page.on('download', (download) => {
      void this.#saveDownload(download);
    });
  }

  async #saveDownload(download: Download): Promise<void> {
    const suggested = download
      .suggestedFilename()
      .replace(/[^A-Za-z0-9._-]/g, '_')
      .replace(/^[._-]+/, '');
    const name = `download-${Date.now()}-${suggested || 'file'}`.slice(0, 100);
    try {
      await mkdir(this.tool.artifactsDir, { recursive: true });
      const path = join(this.tool.artifactsDir, name);
      await download.saveAs(path);
      const size = (await stat(path)).size;
      if (size > MAX_DOWNLOAD_BYTES) {
        await rm(path, { force: true });
        this.notice(
          `A download of ${download.url()} (${size} bytes) was refused: over the ${MAX_DOWNLOAD_BYTES}-byte limit.`,
        );
        return;
      }
      this.tool.writeData({
        type: 'data-artifact',
        id: name,
        data: {
          name,
          path,
          mediaType: 'application/octet-stream',
          sha256: await fileSha256(path),
          bytes: size,
        },
      });
      this.notice(
        `A download of ${download.url()} was saved as the artifact ${name} (${size} bytes) at ${path}.`,
      );
    } catch (error) {
      this.notice(`A download of ${download.url()} failed: ${errorMessage(error)}.`);
    }
  }

  #pushConsole(entry: ConsoleEntry): void {
    this.console.push({ ...entry, text: entry.text.slice(0, 2000) });
    if (this.console.length > MAX_CONSOLE) this.console.shift();
  }

  async close(): Promise<void> {
    this.#closed = true;
    const context = this.#context;
    this.#context = undefined;
    this.#page = undefined;
    await context?.close().catch(() => undefined);
  }
}

async function fileSha256(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

const sessions = new Map<string, BrowserSession>();

/** The task's browser session, created on first use and closed when the task's signal aborts. */
export function browserSession(context: ToolContext): BrowserSession {
  let session = sessions.get(context.taskId);
  if (!session) {
    const created = new BrowserSession(context);
    session = created;
    sessions.set(context.taskId, created);
    context.signal.addEventListener('abort', () => void closeTaskBrowser(context.taskId), { once: true });
  }
  return session;
}

/** Closes a task's browser context (its task ended or stopped); nothing when it had none. */
export async function closeTaskBrowser(taskId: string): Promise<void> {
  const session = sessions.get(taskId);
  sessions.delete(taskId);
  await session?.close();
}

/** How many tasks hold a browser context now (tests). */
export function openBrowserSessions(): number {
  return sessions.size;
}
