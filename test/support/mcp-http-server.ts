import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';

/**
 * `@modelcontextprotocol/server-everything` served over Streamable HTTP on 127.0.0.1 and a free
 * port. Its own `streamableHttp` mode listens on every interface and on a port it does not report
 * when given 0, so the tests serve its server (the package's `createServer`) through the SDK's
 * server transport instead: the same tools, one session per client, headers recorded.
 */

const EVERYTHING_SERVER = '@modelcontextprotocol/server-everything/dist/server/index.js';

interface EverythingFactory {
  createServer(): { server: McpServer; cleanup(sessionId?: string): void };
}

export interface McpHttpServer {
  /** `http://127.0.0.1:<port>/mcp` */
  url: string;
  /** The headers of every POST, in order. */
  readonly requests: IncomingHttpHeaders[];
  close(): Promise<void>;
}

export async function startEverythingHttpServer(): Promise<McpHttpServer> {
  const { createServer: createEverything } = (await import(EVERYTHING_SERVER as string)) as EverythingFactory;
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const requests: IncomingHttpHeaders[] = [];
  const http = createServer((req, res) => {
    void (async () => {
      if (new URL(req.url ?? '/', 'http://127.0.0.1').pathname !== '/mcp') {
        res.writeHead(404).end();
        return;
      }
      if (req.method === 'POST') requests.push(req.headers);
      const sessionId = req.headers['mcp-session-id'];
      let transport = typeof sessionId === 'string' ? sessions.get(sessionId) : undefined;
      if (!transport) {
        if (req.method !== 'POST' || sessionId !== undefined) {
          res.writeHead(404, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              jsonrpc: '2.0',
              error: { code: -32001, message: 'Session not found' },
              id: null,
            }),
          );
          return;
        }
        const { server, cleanup } = createEverything();
        const created: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          onsessioninitialized: (id) => {
            sessions.set(id, created);
          },
        });
        created.onclose = () => {
          if (created.sessionId) sessions.delete(created.sessionId);
          cleanup(created.sessionId);
        };
        await server.connect(created);
        transport = created;
      }
      await transport.handleRequest(req, res);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    requests,
    async close() {
      for (const transport of sessions.values()) await transport.close().catch(() => undefined);
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
