import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';
import { createGatewayClient, type GatewayClient } from '../../src/client/index.ts';

/**
 * A tiny HTTP server on 127.0.0.1 and a free port that answers as a test scripts it: the gateway's
 * impostor, for the client's tests of answers a real gateway never gives (a wrong shape, a broken
 * stream).
 */

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export type Handler = (request: RecordedRequest, response: ServerResponse) => void | Promise<void>;

export interface LocalHttpServer {
  url: string;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function startLocalHttpServer(handler: Handler): Promise<LocalHttpServer> {
  const requests: RecordedRequest[] = [];
  const server = createServer((incoming, response) => {
    let body = '';
    incoming.setEncoding('utf8');
    incoming.on('data', (part: string) => {
      body += part;
    });
    incoming.on('end', () => {
      const request = {
        method: incoming.method ?? 'GET',
        url: incoming.url ?? '/',
        headers: incoming.headers,
        body,
      };
      requests.push(request);
      Promise.resolve(handler(request, response)).catch((error: unknown) => {
        response.destroy(error instanceof Error ? error : new Error(String(error)));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Starts servers for the tests of the calling file and closes each after its test. */
export function useLocalHttpServers(): (handler: Handler) => Promise<LocalHttpServer> {
  const servers: LocalHttpServer[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) await server.close();
  });
  return async (handler) => {
    const server = await startLocalHttpServer(handler);
    servers.push(server);
    return server;
  };
}

/** How the scripted gateway answers one request. */
export type Script = (response: ServerResponse, request: RecordedRequest) => void;

/**
 * For each call, a gateway impostor that answers its n-th request with the n-th script (and cuts
 * any request beyond them off), and a typed client of it; closed after the test.
 */
export function useScriptedGateway(
  options: { token?: string } = {},
): (...scripts: Script[]) => Promise<{ server: LocalHttpServer; client: GatewayClient }> {
  const start = useLocalHttpServers();
  return async (...scripts) => {
    const server = await start((request, response) => {
      const next = scripts.shift();
      if (next) next(response, request);
      else response.destroy();
    });
    return { server, client: createGatewayClient({ baseUrl: server.url, ...options }) };
  };
}

/** Answers JSON with a status. */
export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(typeof body === 'string' ? body : JSON.stringify(body));
}

/** Starts an SSE answer; the caller writes events and ends (or destroys) the response. */
export function startEventStream(response: ServerResponse): void {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  response.flushHeaders();
}

/** One SSE event, `id:` first when given. */
export function sseEvent(data: unknown, id?: number | string): string {
  const text = typeof data === 'string' ? data : JSON.stringify(data);
  return `${id !== undefined ? `id: ${id}\n` : ''}data: ${text}\n\n`;
}
