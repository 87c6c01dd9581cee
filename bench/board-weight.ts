import type { Browser, Page, Request } from 'playwright-core';
import { mintLoginLink } from '../test/support/browser/board-stack.ts';
import { launchBrowser, UI_TIMEOUT_MS, VIEWPORTS } from '../test/support/browser/browser.ts';
import { startOpenAITestServer } from '../test/support/openai-test-server.ts';
import { stopAllProcesses } from '../test/support/processes.ts';
import { removeTempDirs } from '../test/support/temp-dirs.ts';
import { spawnGateway, spawnViberFor } from '../test/support/viber-stack.ts';
import { waitFor } from '../test/support/wait.ts';
import type { BenchRow } from './bench-row.ts';
import { round } from './stats.ts';

/**
 * The board's weight: a real gateway and daemon, one finished task whose answer is Markdown, and
 * its page loaded in headless Chromium (1440x900) with an empty cache, signed in. Every script the
 * page asks for from the navigation until scripts stop coming (none started or in flight for
 * QUIET_MS once the conversation and the side column with its terminal panel are on screen) is
 * counted: transferred (the response bodies as they came over the wire, compressed or not) and
 * decoded.
 */

const QUIET_MS = 1_500;
const ANSWER = `## What is in the folder

The folder holds **two files**, both plain text:

- \`alpha.txt\`: one line, \`alpha\`
- \`beta.txt\`: one line, \`beta\`

Nothing else is there, so there is *nothing* to clean up.`;

export interface BoardWeight {
  requests: number;
  transferredBytes: number;
  decodedBytes: number;
  /** Content-Encoding of each script as served ('identity' when none). */
  encodings: Record<string, number>;
  /** Each script, in the order they finished. */
  scripts: { path: string; transferredBytes: number; decodedBytes: number; encoding: string }[];
}

export async function measureBoardWeight(): Promise<BenchRow[]> {
  const weight = await loadTaskPage();
  const kb = (bytes: number) => round(bytes / 1024, 1);
  const encodings = Object.entries(weight.encodings)
    .map(([name, count]) => `${count} ${name === 'identity' ? 'not compressed' : name}`)
    .join(', ');
  return [
    {
      figure: 'board: task page JavaScript on first load',
      unit: 'KB',
      bare: null,
      openviber: kb(weight.transferredBytes),
      goal: '< 250 KB, served compressed',
      note: `transferred (response bodies, the terminal's xterm included); ${kb(weight.decodedBytes)} KB uncompressed; ${weight.requests} script requests (${encodings}); empty cache, 1440x900, a finished task with a Markdown answer`,
    },
  ];
}

/** Starts the stack, loads one task page cold and counts its scripts. */
export async function loadTaskPage(): Promise<BoardWeight> {
  const model = await startOpenAITestServer({ script: () => ({ type: 'text', text: ANSWER }) });
  let browser: Browser | undefined;
  try {
    const gateway = await spawnGateway({ name: 'bench-board-gateway', env: { OPENVIBER_LOG_LEVEL: 'warn' } });
    const daemon = await spawnViberFor(gateway, { modelBaseURL: model.baseURL, name: 'bench-board' });
    const task = await gateway.rest.createTask({
      goal: 'List the files in this folder and describe them',
      viberId: daemon.viberId,
    });
    await waitFor(async () => (await gateway.rest.getTask(task.id)).task.status === 'completed', {
      timeoutMs: 60_000,
      description: 'the task to complete',
    });
    browser = await launchBrowser();

    // Sign in once, then load the task page in a new context with only the session cookie: an
    // empty cache, as a first visit has.
    const signingIn = await browser.newContext();
    const login = await signingIn.newPage();
    await login.goto(await mintLoginLink(gateway));
    await login.waitForURL((url) => url.pathname !== '/login', { timeout: UI_TIMEOUT_MS });
    const storageState = await signingIn.storageState();
    await signingIn.close();

    const context = await browser.newContext({ viewport: VIEWPORTS.desktop, storageState });
    context.setDefaultTimeout(UI_TIMEOUT_MS);
    const page = await context.newPage();
    const scripts = watchScripts(page);
    await page.goto(`${gateway.url}/tasks/${encodeURIComponent(task.id)}`);
    await page.getByTestId('task-status').getByText('Completed').waitFor();
    await page.getByTestId('conversation').locator('strong', { hasText: 'two files' }).waitFor();
    await page.getByText('Details', { exact: true }).waitFor();
    await page.getByTestId('terminal-panel').waitFor();
    await waitFor(() => scripts.quietFor() >= QUIET_MS, {
      timeoutMs: 30_000,
      intervalMs: 100,
      description: 'scripts to stop loading',
    });
    const weight = await scripts.total();
    await context.close();
    return weight;
  } finally {
    await browser?.close();
    await stopAllProcesses();
    await model.close();
    removeTempDirs();
  }
}

function isScript(request: Request): boolean {
  return request.resourceType() === 'script' || /\.m?js(\?|$)/.test(new URL(request.url()).pathname);
}

/** Counts the page's script requests: in flight, finished, and how long since the last started. */
function watchScripts(page: Page) {
  const inFlight = new Set<Request>();
  const finished: Request[] = [];
  const failed: string[] = [];
  let lastStarted = performance.now();
  page.on('request', (request) => {
    if (!isScript(request)) return;
    inFlight.add(request);
    lastStarted = performance.now();
  });
  const done = (request: Request) => {
    if (!inFlight.delete(request)) return;
    finished.push(request);
  };
  page.on('requestfinished', done);
  page.on('requestfailed', (request) => {
    if (inFlight.delete(request)) failed.push(`${request.url()} (${request.failure()?.errorText})`);
  });
  return {
    quietFor: () => (inFlight.size > 0 ? 0 : performance.now() - lastStarted),
    async total(): Promise<BoardWeight> {
      if (failed.length > 0) throw new Error(`scripts failed to load: ${failed.join(', ')}`);
      const weight: BoardWeight = {
        requests: 0,
        transferredBytes: 0,
        decodedBytes: 0,
        encodings: {},
        scripts: [],
      };
      for (const request of finished) {
        const response = await request.response();
        if (!response) continue;
        const sizes = await request.sizes();
        const encoding = (await response.headerValue('content-encoding')) ?? 'identity';
        const decodedBytes = (await response.body()).length;
        weight.requests += 1;
        weight.transferredBytes += sizes.responseBodySize;
        weight.decodedBytes += decodedBytes;
        weight.encodings[encoding] = (weight.encodings[encoding] ?? 0) + 1;
        weight.scripts.push({
          path: new URL(request.url()).pathname,
          transferredBytes: sizes.responseBodySize,
          decodedBytes,
          encoding,
        });
      }
      return weight;
    },
  };
}
