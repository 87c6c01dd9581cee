import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import type { BrowserContext, Response } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { compressBuild } from '../../web/scripts/compress.ts';
import { signIn, startBoardStack } from '../support/browser/board-stack.ts';
import { collectPageErrors, useBrowser } from '../support/browser/browser.ts';
import { waitForStatus } from '../support/browser/conversation.ts';
import { useE2eCleanup } from '../support/e2e-cleanup.ts';
import { lastMessage } from '../support/e2e-fixtures.ts';
import type { Script } from '../support/openai-test-server.ts';
import { makeTempDir, removeTempDir } from '../support/temp-dirs.ts';

// The board's weight: its text is precompressed at build time and served compressed, and the task
// page loads xterm and the Markdown parser in their own chunks, when they are needed.

useE2eCleanup();

/** A string only xterm.js's code holds: a script with it is the terminal's chunk. */
const XTERM_MARK = 'xterm-helper-textarea';
/** marked's own lexer error: a script with it is the Markdown parser's chunk. */
const MARKED_MARK = 'Infinite loop on byte';

interface ScriptSeen {
  path: string;
  encoding: string | null;
  cacheControl: string | null;
  body: string;
}

/** Every script the context's pages receive, decoded, with the headers it came with. */
function recordScripts(context: BrowserContext): ScriptSeen[] {
  const seen: ScriptSeen[] = [];
  context.on('response', async (response: Response) => {
    if (!/\.js$/.test(new URL(response.url()).pathname)) return;
    const headers = await response.allHeaders();
    seen.push({
      path: new URL(response.url()).pathname,
      encoding: headers['content-encoding'] ?? null,
      cacheControl: headers['cache-control'] ?? null,
      body: (await response.body()).toString(),
    });
  });
  return seen;
}

/** The agent runs one shell command (typed into the task's tmux session), then answers in Markdown. */
function shellThenMarkdown(): Script {
  return ({ body }) =>
    lastMessage(body)?.role === 'tool'
      ? { type: 'text', text: 'The command printed **split-42**, see `echo`:\n\n- one\n- two' }
      : {
          type: 'tool-calls',
          calls: [{ id: 'call_shell_1', name: 'shell', input: { command: 'echo split-$((40+2))' } }],
        };
}

/** One raw HTTP request (no decoding), as a client sees the gateway's bytes. */
function rawGet(
  url: string,
  headers: Record<string, string>,
  method = 'GET',
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('board assets', () => {
  const browser = useBrowser();

  it('precompresses what is worth it in a build: brotli and gzip beside each file', () => {
    const dir = makeTempDir('board-build');
    try {
      mkdirSync(join(dir, '_app'));
      const script = 'export const answer = "forty-two";\n'.repeat(200);
      writeFileSync(join(dir, '_app', 'big.js'), script);
      writeFileSync(join(dir, '_app', 'small.js'), 'export {};');
      writeFileSync(join(dir, 'noise.txt'), randomBytes(4096));
      writeFileSync(join(dir, 'image.png'), Buffer.alloc(8192));
      // A variant of a file that is no longer worth compressing is removed, not left stale.
      writeFileSync(join(dir, 'noise.txt.br'), 'stale');
      const old = new Date(Date.now() - 60_000);
      utimesSync(join(dir, 'noise.txt.br'), old, old);

      const summary = compressBuild(dir);
      expect(summary.files).toBe(2);
      expect(brotliDecompressSync(readFileSync(join(dir, '_app', 'big.js.br'))).toString()).toBe(script);
      expect(gunzipSync(readFileSync(join(dir, '_app', 'big.js.gz'))).toString()).toBe(script);
      expect(statSync(join(dir, '_app', 'big.js.br')).size).toBeLessThan(script.length / 10);
      for (const skipped of [
        '_app/small.js.br',
        'noise.txt.br',
        'noise.txt.gz',
        'image.png.br',
        'image.png.gz',
      ]) {
        expect(existsSync(join(dir, skipped)), skipped).toBe(false);
      }
    } finally {
      removeTempDir(dir);
    }
  });

  it('serves the task page compressed, with Markdown and the terminal from their own chunks', async () => {
    const stack = await startBoardStack({ script: shellThenMarkdown() });
    const task = await stack.gateway.rest.createTask({
      goal: 'Print **forty-two** in the terminal',
      viberId: stack.daemon.viberId,
      options: { mode: 'always-execute' },
    });
    const context = await browser.context();
    const loaded = recordScripts(context);
    const board = await signIn(context, stack.gateway, `/tasks/${task.id}`);
    const errors = collectPageErrors(board);
    await waitForStatus(board, 'Completed');

    // Markdown rendered, from marked's own chunk: the goal and the answer.
    const conversation = board.getByTestId('conversation');
    await conversation.locator('[data-role="user"] strong', { hasText: 'forty-two' }).waitFor();
    await conversation.locator('[data-part="text"] strong', { hasText: 'split-42' }).waitFor();
    await conversation.locator('[data-part="text"] li', { hasText: 'two' }).waitFor();

    // The terminal panel opens on the task's session and shows the agent's command, read-only...
    const slot = board.locator('.terminal-slot');
    await slot.locator('[data-testid="terminal-panel"][data-status="live"]').waitFor();
    await slot.locator('.xterm-rows', { hasText: 'split-42' }).waitFor();
    // ...and takes typing once taken over.
    await board.getByTestId('terminal-take-over').click();
    const interactive = slot.locator('[data-testid="terminal-panel"][data-status="live"]');
    await interactive.getByText('interactive', { exact: true }).waitFor();
    await interactive.locator('.xterm').click();
    await board.keyboard.type('echo typed-$((6*7))');
    await board.keyboard.press('Enter');
    await interactive.locator('.xterm-rows', { hasText: 'typed-42' }).waitFor();

    const terminalChunks = loaded.filter((script) => script.body.includes(XTERM_MARK));
    const markdownChunks = loaded.filter((script) => script.body.includes(MARKED_MARK));
    expect(terminalChunks.length).toBeGreaterThan(0);
    expect(markdownChunks.length).toBeGreaterThan(0);
    // Each its own chunk: neither is in the page's code, nor are they one chunk.
    const pageNode = loaded.filter((script) => script.path.includes('/nodes/'));
    expect(
      pageNode.some((script) => script.body.includes(XTERM_MARK) || script.body.includes(MARKED_MARK)),
    ).toBe(false);
    expect(terminalChunks.some((script) => script.body.includes(MARKED_MARK))).toBe(false);
    // Served compressed (Chromium asks for br on a local address) and cached for a year.
    for (const script of loaded.filter((seen) => seen.body.length >= 1024)) {
      expect(script.encoding, script.path).toBe('br');
      expect(script.cacheControl, script.path).toBe('public, max-age=31536000, immutable');
    }
    expect(errors).toEqual([]);

    // Over the gateway's real HTTP: gzip for a client that asks only for it, with the length of
    // what is sent; HEAD the same headers; a 304 for the ETag it gave.
    const biggest = terminalChunks[0]!.path;
    const url = `${stack.gateway.url}${biggest}`;
    const gzip = await rawGet(url, { 'accept-encoding': 'gzip' });
    expect(gzip.status).toBe(200);
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(gzip.headers.vary).toBe('Accept-Encoding');
    expect(Number(gzip.headers['content-length'])).toBe(gzip.body.length);
    expect(gunzipSync(gzip.body).toString()).toBe(terminalChunks[0]!.body);
    const head = await rawGet(url, { 'accept-encoding': 'gzip' }, 'HEAD');
    expect(head.headers['content-length']).toBe(gzip.headers['content-length']);
    expect(head.headers.etag).toBe(gzip.headers.etag);
    const again = await rawGet(url, {
      'accept-encoding': 'gzip',
      'if-none-match': String(gzip.headers.etag),
    });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
  });

  it('loads no terminal code on a phone, where the side column with the terminal is hidden', async () => {
    const stack = await startBoardStack({
      script: [{ type: 'text', text: 'Done: **all good**.' }],
    });
    const task = await stack.gateway.rest.createTask({ goal: 'Check', viberId: stack.daemon.viberId });
    const context = await browser.context({ viewport: 'mobile' });
    const scripts = recordScripts(context);
    const page = await signIn(context, stack.gateway, `/tasks/${task.id}`);
    const errors = collectPageErrors(page);
    await waitForStatus(page, 'Completed');
    await page.getByTestId('conversation').locator('strong', { hasText: 'all good' }).waitFor();
    await page.getByTestId('report').waitFor();
    expect(scripts.some((script) => script.body.includes(MARKED_MARK))).toBe(true);
    expect(scripts.some((script) => script.body.includes(XTERM_MARK))).toBe(false);
    expect(await page.locator('[data-testid="terminal-panel"]').count()).toBe(0);
    expect(errors).toEqual([]);
  });
});
