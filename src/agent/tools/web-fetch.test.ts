import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { callTool, useToolContext } from '../../../test/support/in-process/tool-context.ts';
import { waitFor } from '../../../test/support/wait.ts';
import { createToolSet } from './index.ts';
import type { WebFetchResult } from './web-fetch.ts';

const PAGE = `<html><head><title>Test page</title><script>alert(1)</script></head>
<body><nav>Menu</nav><h1>Hello</h1><p>Read <a href="/more">more</a>.</p></body></html>`;

describe('web_fetch', () => {
  let server: Server;
  let base: string;
  let holdRequests: Array<() => void> = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      switch (request.url) {
        case '/page':
          response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
          return;
        case '/redirect':
          response.writeHead(302, { location: '/page' }).end();
          return;
        case '/json':
          response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
          return;
        case '/missing':
          response.writeHead(404, { 'content-type': 'text/plain' }).end('no such page');
          return;
        case '/binary':
          response
            .writeHead(200, { 'content-type': 'image/png' })
            .end(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 1]));
          return;
        case '/huge': {
          response.writeHead(200, { 'content-type': 'text/plain' });
          const line = `${'z'.repeat(1023)}\n`;
          let sent = 0;
          const pump = () => {
            while (sent < 8 * 1024 && response.write(line)) sent += 1;
            if (sent < 8 * 1024) response.once('drain', pump);
            else response.end();
          };
          response.on('error', () => undefined);
          pump();
          return;
        }
        case '/hang':
          holdRequests.push(() => response.end('late'));
          response.writeHead(200, { 'content-type': 'text/plain' });
          response.flushHeaders();
          return;
        default:
          response.writeHead(500).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const t = useToolContext();
  afterEach(async () => {
    for (const release of holdRequests) release();
    holdRequests = [];
  });

  it('converts HTML to readable text and records URL evidence', async () => {
    const result = await callTool<WebFetchResult>(
      createToolSet(t.context),
      'web_fetch',
      { url: `${base}/page` },
      'call_f',
    );
    expect(result).toEqual({
      url: `${base}/page`,
      finalUrl: `${base}/page`,
      status: 200,
      contentType: 'text/html; charset=utf-8',
      title: 'Test page',
      text: `# Hello\n\nRead more (${base}/more).`,
    });
    expect(t.evidence).toEqual([
      { kind: 'url', toolCallId: 'call_f', url: `${base}/page`, status: 200 },
      expect.objectContaining({
        kind: 'tool-call',
        tool: 'web_fetch',
        input: `fetch ${base}/page`,
        ok: true,
      }),
    ]);
  });

  it('follows redirects, returns raw HTML on request, and JSON as is', async () => {
    const tools = createToolSet(t.context);
    const redirected = await callTool<WebFetchResult>(tools, 'web_fetch', { url: `${base}/redirect` });
    expect(redirected).toMatchObject({ finalUrl: `${base}/page`, status: 200, title: 'Test page' });
    expect(
      (await callTool<WebFetchResult>(tools, 'web_fetch', { url: `${base}/page`, format: 'html' })).text,
    ).toBe(PAGE);
    expect((await callTool<WebFetchResult>(tools, 'web_fetch', { url: `${base}/json` })).text).toBe(
      '{"ok":true}',
    );
  });

  it('reports HTTP errors and binary bodies without failing the call', async () => {
    const tools = createToolSet(t.context);
    const missing = await callTool<WebFetchResult>(tools, 'web_fetch', { url: `${base}/missing` });
    expect(missing).toMatchObject({
      status: 404,
      text: 'no such page',
      note: 'The server answered HTTP 404.',
    });
    expect(t.evidence.at(-1)).toMatchObject({ kind: 'tool-call', ok: false });
    const binary = await callTool<WebFetchResult>(tools, 'web_fetch', { url: `${base}/binary` });
    expect(binary).toMatchObject({
      status: 200,
      text: '',
      note: 'Binary content (image/png, 7 bytes) is not shown.',
    });
  });

  it('bounds huge bodies and keeps the full text of long pages in an artifact', async () => {
    const result = await callTool<WebFetchResult>(
      createToolSet(t.context),
      'web_fetch',
      { url: `${base}/huge` },
      'call_h',
    );
    expect(result.status).toBe(200);
    expect(result.text!.length).toBeLessThanOrEqual(30_000);
    expect(result.text).toMatch(/The full text is in .*web_fetch-call_h-text\.txt/);
    expect(result.note).toMatch(/cut at 5242880 bytes/);
  });

  it('stops a hanging request when the task is stopped', async () => {
    const running = callTool(createToolSet(t.context), 'web_fetch', { url: `${base}/hang` });
    await waitFor(() => holdRequests.length > 0, { description: 'the request to arrive' });
    t.controller.abort();
    expect((await running).error).toBe('web_fetch was aborted: the task was stopped');
  });

  it('refuses non-http URLs and explains connection failures', async () => {
    const tools = createToolSet(t.context);
    expect((await callTool(tools, 'web_fetch', { url: 'file:///etc/passwd' })).error).toBe(
      'Invalid input for web_fetch: url: url must be an absolute http:// or https:// URL',
    );
    expect((await callTool(tools, 'web_fetch', { url: 'not a url' })).error).toMatch(/url: /);
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = await callTool(tools, 'web_fetch', { url: `http://127.0.0.1:${port}/` });
    expect(refused.error).toMatch(
      /^fetching http:\/\/127\.0\.0\.1:\d+\/ failed: fetch failed \(.*ECONNREFUSED/,
    );
  });
});
