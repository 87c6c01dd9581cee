import { type Context, Hono } from 'hono';
import type { Logger } from '../../core/logger.ts';
import { PORT_PROXY_PREFIX, type PortHeaderList } from '../../protocol/index.ts';
import { errorResponse } from '../http/http-errors.ts';
import type { GatewayEnv } from '../http/route-context.ts';
import type { GatewayStore } from '../store/index.ts';
import { checkPortAccess, parsePortTarget } from './port-access.ts';
import type { PortExchange } from './port-exchange.ts';
import { corsPreflightHeaders, failureStatus } from './port-failures.ts';
import { requestHeadersForService, responseHeadersForBrowser } from './port-headers.ts';
import type { PortLinks } from './port-links.ts';
import { type PortRelay, PortRelayError } from './port-relay.ts';

export interface PortProxyDeps {
  relay: PortRelay;
  links: PortLinks;
  store: Pick<GatewayStore, 'getDevice' | 'getViber'>;
  /** How long a service has to send its status line and headers before the client gets 504. */
  timeoutMs: number;
  log: Logger;
}

/** Statuses whose responses have no body (the Fetch standard's null body statuses). */
const NULL_BODY = new Set([204, 205, 304]);

type Head =
  | { status: number; headers: PortHeaderList }
  | { failure: string; status: number; message: string };

/**
 * `/ports/<viberId>/<port>/<token>/...`, every method: the opened port's HTTP, relayed over the
 * viber's connection with its body streamed both ways (docs/ports.md). Outside /api: the board's
 * cookie is neither needed nor used, only the link's token.
 */
export function portProxyRoutes(deps: PortProxyDeps): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  app.all(`${PORT_PROXY_PREFIX}/*`, (c) => proxy(c, deps));
  return app;
}

async function proxy(c: Context<GatewayEnv>, deps: PortProxyDeps): Promise<Response> {
  const url = new URL(c.req.url);
  const target = parsePortTarget(url.pathname + url.search);
  if (!target) return errorResponse(c, 'not_found', 'a port link is /ports/<viber>/<port>/<token>/', 404);
  const access = await checkPortAccess(deps.links, deps.store, target);
  if (!access.ok) return errorResponse(c, access.code, access.message, access.status);
  // Relative URLs in the service's pages resolve under the token only when the path ends in '/'.
  if (target.servicePath === undefined) return c.redirect(`${url.pathname}/${url.search}`, 308);
  const method = c.req.method.toUpperCase();
  // The sandboxed page's own fetches are cross-origin (its origin is `null`): the gateway answers their preflight.
  if (method === 'OPTIONS' && c.req.header('access-control-request-method')) {
    return new Response(null, {
      status: 204,
      headers: corsPreflightHeaders(c.req.header('access-control-request-headers')),
    });
  }
  const headers: PortHeaderList = [];
  for (const [name, value] of c.req.raw.headers) headers.push([name, value]);
  let exchange: PortExchange;
  let settle!: (head: Head) => void;
  const head = new Promise<Head>((resolve) => (settle = resolve));
  const body = new AnswerBody();
  try {
    exchange = deps.relay.open(
      target.viberId,
      {
        port: access.port,
        method,
        path: target.servicePath,
        headers: requestHeadersForService(headers, access.port, false),
        upgrade: false,
      },
      deps.timeoutMs,
      {
        response: (status, responseHeaders) => settle({ status, headers: responseHeaders }),
        data: (bytes) => body.push(bytes),
        done: () => body.end(),
        failed: (failure, message) => {
          settle({ failure, status: failureStatus(failure), message });
          body.fail(new Error(message));
        },
      },
    );
  } catch (error) {
    if (error instanceof PortRelayError)
      return errorResponse(c, 'viber_offline', error.message, error.status);
    throw error;
  }
  body.exchange = exchange;
  // The gateway's own clock too: a viber that never answers is a 504 like a slow service.
  const timer = setTimeout(() => {
    exchange.cancel();
    settle({
      failure: 'timeout',
      status: 504,
      message: `port ${access.port} on viber ${target.viberId} did not answer within ${Math.round(deps.timeoutMs / 1000)} s`,
    });
  }, deps.timeoutMs + 2_000);
  c.req.raw.signal?.addEventListener('abort', () => exchange.cancel(), { once: true });
  void pumpRequestBody(c.req.raw.body, exchange, deps.log);
  const answer = await head;
  clearTimeout(timer);
  if ('failure' in answer) {
    const code = answer.status === 404 ? 'not_found' : answer.status === 503 ? 'viber_offline' : 'internal';
    return errorResponse(c, code, answer.message, answer.status);
  }
  const status = answer.status >= 200 && answer.status <= 599 ? answer.status : 502;
  const out = new Headers();
  for (const [name, value] of responseHeadersForBrowser(answer.headers, target.cookiePath, false)) {
    try {
      out.append(name, value);
    } catch {
      // A header the Fetch API cannot carry is left out rather than failing the answer.
    }
  }
  if (NULL_BODY.has(status) || method === 'HEAD') return new Response(null, { status, headers: out });
  return new Response(body.stream(), { status, headers: out });
}

async function pumpRequestBody(
  stream: ReadableStream<Uint8Array> | null,
  exchange: PortExchange,
  log: Logger,
): Promise<void> {
  if (!stream) {
    exchange.end();
    return;
  }
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || exchange.ended) break;
      await exchange.send(value);
    }
    exchange.end();
  } catch (error) {
    // The client hung up mid-body: the service's request is dropped.
    log.debug({ err: error, exchangeId: exchange.id }, 'request body ended early');
    exchange.cancel();
  }
}

/**
 * The service's answer as a pull stream: a chunk leaves the queue only when the client's socket
 * asks for more, and only then is it credited to the viber, so a slow client slows the service.
 */
class AnswerBody {
  exchange: PortExchange | undefined;
  readonly #queue: Uint8Array[] = [];
  #ended = false;
  #error: Error | undefined;
  #wake: (() => void) | undefined;

  push(bytes: Uint8Array): void {
    // Copied: the frame's buffer is reused by nothing, but a view keeps the whole frame alive.
    this.#queue.push(new Uint8Array(bytes));
    this.#notify();
  }

  end(): void {
    this.#ended = true;
    this.#notify();
  }

  fail(error: Error): void {
    this.#error = error;
    this.#notify();
  }

  stream(): ReadableStream<Uint8Array> {
    return new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          while (this.#queue.length === 0 && !this.#ended && !this.#error)
            await new Promise<void>((resolve) => (this.#wake = resolve));
          const chunk = this.#queue.shift();
          if (chunk) {
            controller.enqueue(chunk);
            this.exchange?.credit(chunk.length);
          } else if (this.#error) controller.error(this.#error);
          else controller.close();
        },
        cancel: () => this.exchange?.cancel(),
      },
      { highWaterMark: 0 },
    );
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
