import { afterEach, describe, expect, it } from 'vitest';
import {
  type LocalHttpServer,
  sendJson,
  startLocalHttpServer,
} from '../../test/support/local-http-server.ts';
import { checkProvider } from './provider-check.ts';

// The one request onboard and doctor send, against a real local HTTP server.

const servers: LocalHttpServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

async function serve(status: number, body: unknown): Promise<LocalHttpServer> {
  const server = await startLocalHttpServer((_request, response) => sendJson(response, status, body));
  servers.push(server);
  return server;
}

describe('checkProvider', () => {
  it('lists models with a bearer key (OpenAI and compatible servers)', async () => {
    const server = await serve(200, { object: 'list', data: [{ id: 'a' }, { id: 'b' }] });
    const check = await checkProvider({ provider: 'custom', baseURL: `${server.url}/v1/`, apiKey: 'k-1' });
    expect(check).toEqual({ ok: true, url: `${server.url}/v1/models`, models: ['a', 'b'] });
    expect(server.requests[0]).toMatchObject({ method: 'GET', url: '/v1/models' });
    expect(server.requests[0]?.headers.authorization).toBe('Bearer k-1');
  });

  it('sends Anthropic its x-api-key and version header, and no bearer', async () => {
    const server = await serve(200, { data: [{ id: 'claude-sonnet-4-5-20250929' }] });
    const check = await checkProvider({ provider: 'anthropic', baseURL: `${server.url}/v1`, apiKey: 'k-2' });
    expect(check.ok).toBe(true);
    expect(server.requests[0]?.headers['x-api-key']).toBe('k-2');
    expect(server.requests[0]?.headers['anthropic-version']).toBe('2023-06-01');
    expect(server.requests[0]?.headers.authorization).toBeUndefined();
  });

  it('says what a wrong URL answered, without the key', async () => {
    const notFound = await serve(404, { error: { message: 'no route GET /models' } });
    expect(await checkProvider({ provider: 'custom', baseURL: notFound.url, apiKey: 'sk-abcdef' })).toEqual({
      ok: false,
      url: `${notFound.url}/models`,
      message: `${notFound.url}/models answered HTTP 404: no route GET /models`,
    });
    const html = await serve(200, { object: 'list' });
    const check = await checkProvider({ provider: 'custom', baseURL: html.url });
    expect(check.ok ? '' : check.message).toBe(
      `${html.url}/models did not answer with a model list (no "data" list); is it an OpenAI-compatible /v1 URL?`,
    );
  });
});
