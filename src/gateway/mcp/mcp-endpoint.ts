import type { ServerResponse } from 'node:http';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import { isJSONRPCRequest, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { type Context, Hono } from 'hono';
import type { Logger } from '../../core/logger.ts';
import { GATEWAY_MCP_PATH, type GatewayMcpToolName, gatewayMcpTool } from '../../protocol/index.ts';
import type { GatewayAuth } from '../auth/gateway-auth.ts';
import { allows, type Principal } from '../auth/principal.ts';
import { requestSource, scopeRefusal } from '../http/request-auth.ts';
import type { GatewayEnv } from '../http/route-context.ts';
import { type GatewayToolDeps, GatewayTools } from './gateway-tools.ts';
import { HTTP_REFUSAL, jsonRpcError, readJsonRpcMessages } from './json-rpc-body.ts';
import { mcpOriginAllowed } from './mcp-origin.ts';
import { createMcpServer } from './mcp-server.ts';
import { toolRefusal } from './tool-access.ts';

/** How long a closing gateway lets the answers of running calls go out before it cuts them. */
const CLOSE_GRACE_MS = 2_000;

export interface GatewayMcpDeps extends GatewayToolDeps {
  auth: GatewayAuth;
  /** The gateway's CORS origins: the browser origins that may call it besides its own. */
  corsOrigins: readonly string[];
  log: Logger;
}

/**
 * The gateway as an MCP server: Streamable HTTP at /mcp on the gateway's port (docs/mcp.md).
 *
 * Stateless: every POST gets its own SDK server and transport, which live as long as that
 * request's answer (its SSE stream, where a long tool call sends its progress). No session is
 * kept, so a gateway restart, or a second gateway behind the same store, loses nothing a client
 * holds; GET (a session's server-to-client stream) and DELETE (ending a session) answer 405, as
 * the transport specification provides for a server without them.
 *
 * Before the SDK sees a request: the Origin check (DNS rebinding, mcp-origin.ts), the caller (a
 * bearer device or operator token, as REST takes it, rate limits included; the board's cookie is
 * not taken here, so no page can ride on it), the operator role, the body as JSON-RPC
 * (json-rpc-body.ts), and the scope of each tools/call (403, as REST answers a route's missing
 * scope, with the OAuth `insufficient_scope` challenge MCP clients read).
 */
export class GatewayMcp {
  readonly routes: Hono<GatewayEnv>;
  readonly #deps: GatewayMcpDeps;
  readonly #tools: GatewayTools;
  readonly #corsOrigins: ReadonlySet<string>;
  /** The servers of the requests still being answered, each with its end, closed with the gateway. */
  readonly #open = new Map<Server, PromiseWithResolvers<void>>();
  /** Aborted when the gateway closes: a running tool answers at once (a wait says why). */
  readonly #closing = new AbortController();
  #closed = false;

  constructor(deps: GatewayMcpDeps) {
    this.#deps = deps;
    this.#tools = new GatewayTools(deps);
    this.#corsOrigins = new Set(deps.corsOrigins);
    this.routes = new Hono<GatewayEnv>().all(GATEWAY_MCP_PATH, (c) => this.#handle(c));
  }

  /**
   * Answers every call still running (a wait returns at once, saying the gateway is closing), gives
   * the answers CLOSE_GRACE_MS to go out, then closes what is left; later requests get 503.
   */
  async close(): Promise<void> {
    this.#closed = true;
    this.#closing.abort();
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, CLOSE_GRACE_MS);
    });
    await Promise.race([Promise.all([...this.#open.values()].map((open) => open.promise)), grace]);
    clearTimeout(timer);
    await Promise.all([...this.#open.keys()].map((server) => this.#release(server)));
  }

  async #handle(c: Context<GatewayEnv>): Promise<Response> {
    const origin = c.req.header('origin');
    if (!mcpOriginAllowed(origin, c.req.header('host'), this.#corsOrigins)) {
      const message = `Forbidden: origin ${origin?.slice(0, 200)} may not call ${GATEWAY_MCP_PATH}: only the gateway's own origin (an IP address or localhost) and its CORS origins may`;
      return jsonRpcError(403, HTTP_REFUSAL, message, { reason: 'forbidden' });
    }
    const result = await this.#deps.auth.authenticate({
      authorization: c.req.header('authorization'),
      source: requestSource(c),
    });
    if (!result.ok) {
      const headers: Record<string, string> = { 'WWW-Authenticate': 'Bearer' };
      if (result.retryAfterMs) headers['Retry-After'] = String(Math.ceil(result.retryAfterMs / 1000));
      return jsonRpcError(result.status, HTTP_REFUSAL, result.message, { reason: result.code, headers });
    }
    const { principal } = result;
    if (!allows(principal, 'operator')) {
      return jsonRpcError(403, HTTP_REFUSAL, scopeRefusal(principal, 'operator'), { reason: 'forbidden' });
    }
    if (c.req.method !== 'POST') {
      const message = `Method not allowed: ${GATEWAY_MCP_PATH} is stateless and takes POST only (no session stream to GET or DELETE)`;
      return jsonRpcError(405, HTTP_REFUSAL, message, { reason: 'bad_request', headers: { Allow: 'POST' } });
    }
    const read = await readJsonRpcMessages(c);
    if (!read.ok) return read.response;
    const refused = refusedToolCall(principal, read.messages);
    if (refused) return refused;
    if (this.#closed)
      return jsonRpcError(503, HTTP_REFUSAL, 'the gateway is closing', { reason: 'internal' });
    return this.#serve(c, principal, read.body);
  }

  async #serve(c: Context<GatewayEnv>, principal: Principal, body: unknown): Promise<Response> {
    const log = this.#deps.log;
    const server = createMcpServer({ tools: this.#tools, principal, closing: this.#closing.signal, log });
    server.onerror = (error) => log.debug({ err: error }, 'mcp transport error');
    const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    this.#open.set(server, Promise.withResolvers<void>());
    // Released when the answer has gone out or the client went away, which aborts a tool still
    // waiting (the node server's response closes either way; an in-process request's signal aborts).
    const release = () => void this.#release(server);
    (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing?.once('close', release);
    c.req.raw.signal.addEventListener('abort', release, { once: true });
    try {
      await server.connect(transport);
      return await transport.handleRequest(c.req.raw, { parsedBody: body });
    } catch (error) {
      release();
      throw error;
    }
  }

  async #release(server: Server): Promise<void> {
    const open = this.#open.get(server);
    if (!open) return;
    this.#open.delete(server);
    open.resolve();
    await server
      .close()
      .catch((error: unknown) => this.#deps.log.debug({ err: error }, 'mcp server close failed'));
  }
}

/**
 * The 403 for the first tools/call whose tool needs a scope the caller lacks (the route table's,
 * tool-access.ts); an unknown tool is left to the server, which answers -32602.
 */
function refusedToolCall(principal: Principal, messages: readonly JSONRPCMessage[]): Response | undefined {
  for (const message of messages) {
    if (!isJSONRPCRequest(message) || message.method !== 'tools/call') continue;
    const name = (message.params as { name?: unknown } | undefined)?.name;
    if (typeof name !== 'string' || !gatewayMcpTool(name)) continue;
    const refusal = toolRefusal(principal, name as GatewayMcpToolName);
    if (!refusal) continue;
    const challenge = `Bearer error="insufficient_scope", scope="${refusal.scope}"`;
    return jsonRpcError(403, HTTP_REFUSAL, `${name}: ${refusal.message}`, {
      id: message.id,
      reason: 'forbidden',
      headers: { 'WWW-Authenticate': challenge },
    });
  }
  return undefined;
}
