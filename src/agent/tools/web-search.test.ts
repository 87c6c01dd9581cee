import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  callTool,
  createTestToolContext,
  type TestToolContext,
} from '../../../test/support/in-process/tool-context.ts';
import { createToolSet } from './index.ts';
import type { WebSearchResult } from './web-search.ts';

const KEY = 'test-search-key-123';

describe('web_search', () => {
  let server: Server;
  let base: string;
  const requests: IncomingMessage[] = [];
  const contexts: TestToolContext[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      requests.push(request);
      const url = new URL(request.url ?? '/', 'http://x');
      const json = (status: number, body: unknown) =>
        response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (url.pathname === '/brave/res/v1/web/search') {
        if (request.headers['x-subscription-token'] !== KEY) return json(401, { error: 'bad key' });
        return json(200, {
          web: {
            results: [
              {
                title: 'First',
                url: 'https://one.test/',
                description: 'The <strong>first</strong> &amp; best',
              },
              { title: 'Second', url: 'https://two.test/', description: 'Another' },
              { title: 'Third', url: 'https://three.test/', description: 'More' },
            ],
          },
        });
      }
      if (url.pathname === '/searx/search' && url.searchParams.get('format') === 'json') {
        return json(200, {
          results: [{ title: 'Searx hit', url: 'https://s.test/', content: 'from searx' }],
        });
      }
      if (url.pathname === '/broken/search') return response.writeHead(200).end('<html>not json</html>');
      if (url.pathname === '/slow/search') return response.writeHead(503).end('overloaded');
      json(404, { error: 'not found' });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  afterEach(async () => {
    requests.length = 0;
    for (const t of contexts.splice(0)) await t.cleanup();
  });

  async function search(env: NodeJS.ProcessEnv, input: unknown) {
    const t = await createTestToolContext(env);
    contexts.push(t);
    return { t, result: await callTool<WebSearchResult>(createToolSet(t.context), 'web_search', input) };
  }

  it('queries a Brave-compatible endpoint with the API key and returns plain-text results', async () => {
    const { result, t } = await search(
      { OPENVIBER_SEARCH_API_KEY: KEY, OPENVIBER_SEARCH_BASE_URL: `${base}/brave/res/v1/web/search` },
      { query: 'open viber', count: 2 },
    );
    expect(result).toEqual({
      provider: 'brave',
      query: 'open viber',
      results: [
        { title: 'First', url: 'https://one.test/', snippet: 'The first & best' },
        { title: 'Second', url: 'https://two.test/', snippet: 'Another' },
      ],
    });
    const sent = new URL(requests[0]!.url!, base);
    expect(sent.searchParams.get('q')).toBe('open viber');
    expect(sent.searchParams.get('count')).toBe('2');
    expect(t.evidence.at(-1)).toMatchObject({ tool: 'web_search', input: 'search "open viber"', ok: true });
    expect(JSON.stringify(t.evidence)).not.toContain(KEY);
  });

  it('says exactly what to set when no key is configured', async () => {
    const { result } = await search({}, { query: 'x' });
    expect(result.error).toBe(
      'web_search needs a search API key: set OPENVIBER_SEARCH_API_KEY to a Brave Search API key, ' +
        'or set OPENVIBER_SEARCH_PROVIDER=searxng and OPENVIBER_SEARCH_BASE_URL to a SearXNG instance',
    );
    expect(requests).toHaveLength(0);
  });

  it('reports a rejected key without echoing it', async () => {
    const { result } = await search(
      { OPENVIBER_SEARCH_API_KEY: 'wrong-key', OPENVIBER_SEARCH_BASE_URL: `${base}/brave/res/v1/web/search` },
      { query: 'x' },
    );
    expect(result.error).toBe('brave search rejected the API key (HTTP 401); check OPENVIBER_SEARCH_API_KEY');
  });

  it('queries a SearXNG instance', async () => {
    const { result } = await search(
      { OPENVIBER_SEARCH_PROVIDER: 'searxng', OPENVIBER_SEARCH_BASE_URL: `${base}/searx` },
      { query: 'hello' },
    );
    expect(result).toEqual({
      provider: 'searxng',
      query: 'hello',
      results: [{ title: 'Searx hit', url: 'https://s.test/', snippet: 'from searx' }],
    });
  });

  it('explains misconfiguration, non-JSON answers and server errors', async () => {
    const searx = { OPENVIBER_SEARCH_PROVIDER: 'searxng' };
    expect((await search(searx, { query: 'x' })).result.error).toMatch(/needs OPENVIBER_SEARCH_BASE_URL/);
    expect((await search({ OPENVIBER_SEARCH_PROVIDER: 'bing' }, { query: 'x' })).result.error).toBe(
      'OPENVIBER_SEARCH_PROVIDER="bing" is not a known search provider; use one of: brave, searxng',
    );
    const badUrl = { ...searx, OPENVIBER_SEARCH_BASE_URL: 'ftp://x' };
    expect((await search(badUrl, { query: 'x' })).result.error).toMatch(
      /must be an http:\/\/ or https:\/\/ URL/,
    );
    const broken = { ...searx, OPENVIBER_SEARCH_BASE_URL: `${base}/broken` };
    expect((await search(broken, { query: 'x' })).result.error).toMatch(/not JSON: <html>not json/);
    const down = { ...searx, OPENVIBER_SEARCH_BASE_URL: `${base}/slow` };
    expect((await search(down, { query: 'x' })).result.error).toBe(
      'searxng search answered HTTP 503: overloaded',
    );
  });

  it('answers malformed input with an error naming the field', async () => {
    expect((await search({}, { query: '' })).result.error).toMatch(/^Invalid input for web_search: query: /);
    expect((await search({}, { query: 'x', count: 100 })).result.error).toMatch(/count: /);
  });
});
