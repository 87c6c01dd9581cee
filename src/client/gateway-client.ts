import type { z } from 'zod';
import {
  ErrorBodySchema,
  type JsonRouteName,
  REST_ROUTES,
  type RouteName,
  routeOf,
  type SseRouteName,
} from '../protocol/index.ts';
import { type BoardFeedItem, type FollowBoardEventsOptions, followBoardEvents } from './board-events.ts';
import type { GatewayAccess } from './gateway-access.ts';
import { GatewayClientError, unreachable } from './gateway-client-error.ts';
import type { CallResult, ResponseOf, RouteArgs } from './route-input.ts';
import { readInput, routeBody, routeTarget } from './route-request.ts';
import { type FollowTaskStreamOptions, followTaskStream, type TaskStreamChunk } from './task-stream.ts';
import {
  type ConnectTerminalOptions,
  connectTerminal,
  type TerminalConnection,
} from './terminal-connection.ts';

export interface GatewayClientOptions {
  /** `http://127.0.0.1:6007`; '' in the board, which calls its own origin. */
  baseUrl: string;
  /** The operator's (or, for `vibers.configPull`, a viber's) bearer token; the board uses its cookie. */
  token?: string;
  /** Default: the global fetch. */
  fetch?: (input: string, init: RequestInit) => Promise<Response>;
  /** `same-origin` (fetch's default) sends the board's session cookie. */
  credentials?: RequestCredentials;
  /** Headers on every call (`X-Viber-Id` for a viber's config pull). */
  headers?: Readonly<Record<string, string>>;
  /** Told of every failed call before it throws (the board marks its session expired on a 401). */
  onError?: (error: GatewayClientError) => void;
}

/** Bodies shown in an error are cut here: enough to recognise a proxy's page, not a novel. */
const SNIPPET_CHARS = 300;

/**
 * The one typed client of the gateway, for Node and the browser: every call is built from the
 * route table and every answer is checked against it, so a caller gets exactly the type the
 * table states or a GatewayClientError, never an unchecked cast.
 */
export class GatewayClient implements GatewayAccess {
  readonly baseUrl: string;
  readonly token: string | undefined;
  readonly #options: GatewayClientOptions;
  readonly #fetch: (input: string, init: RequestInit) => Promise<Response>;

  constructor(options: GatewayClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.token = options.token;
    this.#options = options;
    // A detached `fetch` throws "Illegal invocation" in browsers: call it through globalThis.
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  /** Calls a JSON route and returns its checked answer: `call('tasks.get', {params: {id}})`. */
  async call<N extends JsonRouteName>(name: N, ...args: RouteArgs<N>): Promise<ResponseOf<N>> {
    return (await this.request(name, ...args)).data;
  }

  /** As `call`, with the status and whether the gateway replayed an idempotent answer. */
  async request<N extends JsonRouteName>(name: N, ...args: RouteArgs<N>): Promise<CallResult<ResponseOf<N>>> {
    const route = REST_ROUTES[name];
    const input = readInput(args[0]);
    const headers = this.#headers('application/json', input.headers);
    const body = routeBody(name, route, input);
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (input.idempotencyKey !== undefined && route.idempotencyKey) {
      headers['idempotency-key'] = input.idempotencyKey;
    }
    const response = await this.#send(name, routeTarget(name, route, input), {
      method: route.method,
      headers,
      ...(body !== undefined ? { body } : {}),
      ...(input.signal ? { signal: input.signal } : {}),
    });
    const text = await response.text().catch((error: unknown) => {
      if (input.signal?.aborted) throw error;
      throw this.#fail(unreachable(name, error, `${name}: the answer broke off`));
    });
    if (!response.ok) throw this.#fail(errorOf(name, response.status, text));
    const schema = responseSchemaOf(name, response.status);
    if (!schema) {
      const expected = Object.keys(route.responses).join(' or ');
      throw this.#fail(
        badResponse(name, response.status, `answered ${response.status}, expected ${expected}`),
      );
    }
    const parsed = schema.safeParse(parseJson(text));
    if (!parsed.success) {
      const detail = parsed.error.issues
        .slice(0, 3)
        .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
        .join('; ');
      throw this.#fail(badResponse(name, response.status, `answer does not match its schema: ${detail}`));
    }
    return {
      status: response.status,
      data: parsed.data,
      replayed: response.headers.get('idempotent-replayed') === 'true',
      headers: response.headers,
    };
  }

  /** Opens an SSE route; resolves with the 200 response whose body the followers read. */
  async open<N extends SseRouteName>(name: N, ...args: RouteArgs<N>): Promise<Response> {
    const input = readInput(args[0]);
    const response = await this.#send(name, routeTarget(name, routeOf(name), input), {
      method: 'GET',
      headers: this.#headers('text/event-stream', input.headers),
      ...(input.signal ? { signal: input.signal } : {}),
    });
    if (response.ok && response.headers.get('content-type')?.startsWith('text/event-stream')) {
      return response;
    }
    const text = await response.text().catch(() => '');
    throw this.#fail(
      response.ok
        ? badResponse(
            name,
            response.status,
            `answered ${response.headers.get('content-type')}, not an event stream`,
          )
        : errorOf(name, response.status, text),
    );
  }

  /** The absolute URL of a route (for a WebSocket); relative to the page when baseUrl is ''. */
  url<N extends RouteName>(name: N, ...args: RouteArgs<N>): string {
    return `${this.baseUrl}${routeTarget(name, routeOf(name), readInput(args[0]))}`;
  }

  followTaskStream(taskId: string, options?: FollowTaskStreamOptions): AsyncGenerator<TaskStreamChunk, void> {
    return followTaskStream(this, taskId, options);
  }

  followBoardEvents(options?: FollowBoardEventsOptions): AsyncGenerator<BoardFeedItem, void> {
    return followBoardEvents(this, options);
  }

  connectTerminal(options?: ConnectTerminalOptions): Promise<TerminalConnection> {
    return connectTerminal(this, options);
  }

  #headers(accept: string, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
    const headers: Record<string, string> = { accept, ...this.#options.headers, ...extra };
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    return headers;
  }

  async #send(name: RouteName, target: string, init: RequestInit): Promise<Response> {
    try {
      return await this.#fetch(`${this.baseUrl}${target}`, {
        ...init,
        ...(this.#options.credentials ? { credentials: this.#options.credentials } : {}),
      });
    } catch (error) {
      // A caller's abort is not a failure of the gateway: it goes back as it came.
      if (init.signal?.aborted) throw error;
      throw this.#fail(
        unreachable(name, error, `cannot reach the gateway at ${this.baseUrl || 'this origin'}`),
      );
    }
  }

  #fail(error: GatewayClientError): GatewayClientError {
    this.#options.onError?.(error);
    return error;
  }
}

export function createGatewayClient(options: GatewayClientOptions): GatewayClient {
  return new GatewayClient(options);
}

/**
 * The schema of a route's answer with this status. TypeScript cannot tie a generic route name to
 * its own table entry (microsoft/TypeScript#30581), so this one line states what the table does:
 * ResponseOf<N> is derived from exactly these schemas. The body itself is never cast: it is what
 * the schema parsed.
 */
function responseSchemaOf<N extends JsonRouteName>(
  name: N,
  status: number,
): z.ZodType<ResponseOf<N>> | undefined {
  const responses: Readonly<Partial<Record<number, z.ZodType>>> = REST_ROUTES[name].responses;
  return responses[status] as z.ZodType<ResponseOf<N>> | undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function badResponse(name: string, status: number, detail: string): GatewayClientError {
  return new GatewayClientError('bad_response', `${name}: ${detail}`, {
    status,
    route: name,
    retryable: false,
  });
}

/** A failed answer: the gateway's `{error}` as sent, a proxy's 502-504 as unreachable, else bad. */
export function errorOf(name: string, status: number, text: string): GatewayClientError {
  const parsed = ErrorBodySchema.safeParse(parseJson(text));
  if (parsed.success) {
    const { code, message, retryable } = parsed.data.error;
    return new GatewayClientError(code, message, {
      status,
      route: name,
      ...(retryable !== undefined ? { retryable } : {}),
    });
  }
  if (status === 502 || status === 503 || status === 504) {
    return new GatewayClientError(
      'unreachable',
      `${name}: HTTP ${status} from something in front of the gateway`,
      {
        status,
        route: name,
      },
    );
  }
  return badResponse(name, status, `HTTP ${status} without an {error} body: ${text.slice(0, SNIPPET_CHARS)}`);
}
