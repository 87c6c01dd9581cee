import type { z } from 'zod';
import type { OperatorScope, RouteAccess } from './operator-scopes.ts';

/**
 * The shape of one entry of the route table (src/protocol/rest-routes.ts): enough for the gateway
 * to register and guard the route and for the client to build and check the call, so neither
 * restates a path, a body or a response.
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';
/** Statuses a JSON route answers on success; anything else is an `{error}` body or a bad response. */
export type SuccessStatus = 200 | 201 | 202;

/** A further scope a request needs when it does more than its route's base scope. */
export interface ScopeCondition {
  scope: OperatorScope;
  /** The condition in words, for the docs and the JSON Schema. */
  when: string;
  /** The condition as a test on the request's query (raw strings) and parsed body. */
  applies(request: { query: Readonly<Record<string, string | undefined>>; body: unknown }): boolean;
}

interface RouteCommon {
  method: HttpMethod;
  /** Hono syntax, which the gateway registers as is: `/api/tasks/:id`. */
  path: `/${string}`;
  scope: RouteAccess;
  alsoNeeds?: readonly ScopeCondition[];
  summary: string;
  /** Path parameters: an object schema whose keys are exactly the path's `:names`. */
  params?: z.ZodType;
  /** Query parameters as values; numbers coerce from their URL strings. */
  query?: z.ZodType;
}

export interface JsonRoute extends RouteCommon {
  kind: 'json';
  body?: z.ZodType;
  responses: Readonly<Partial<Record<SuccessStatus, z.ZodType>>>;
  /** The gateway stores the first answer under an `Idempotency-Key` and replays it to a retry. */
  idempotencyKey: boolean;
}

/** A server-sent event stream: each event's data is one JSON value of `event`. */
export interface SseRoute extends RouteCommon {
  kind: 'sse';
  method: 'GET';
  event: z.ZodType;
  /**
   * True: `id:` is a durable cursor, and `Last-Event-ID` (or `?after=`) resumes after it with no
   * gap and no repeat. False: ids count per connection, nothing is replayed, a client that
   * reconnects refetches what it shows.
   */
  resumable: boolean;
  /** The data line that ends the stream for good, when there is one. */
  end?: '[DONE]';
}

/** A WebSocket upgrade: every frame is one JSON message of the two schemas. */
export interface WebSocketRoute extends RouteCommon {
  kind: 'websocket';
  method: 'GET';
  clientMessage: z.ZodType;
  serverMessage: z.ZodType;
}

/**
 * A file the gateway answers as it is stored (an image), or a text it writes (the metrics), in one
 * of `mediaTypes`; a failure is an `{error}` JSON body like any other route's.
 */
export interface FileRoute extends RouteCommon {
  kind: 'file';
  method: 'GET';
  mediaTypes: readonly string[];
}

export type RestRoute = JsonRoute | SseRoute | WebSocketRoute | FileRoute;

/** The `:names` of a path pattern, in order. */
export function pathParamNames(path: string): string[] {
  return [...path.matchAll(/:([A-Za-z][A-Za-z0-9]*)/g)].map((match) => match[1]!);
}

/** A path pattern with its parameters filled in, each one URL-encoded. */
export function fillPath(path: string, params: Readonly<Record<string, unknown>>): string {
  return path.replace(/:([A-Za-z][A-Za-z0-9]*)/g, (_, name: string) =>
    encodeURIComponent(String(params[name])),
  );
}

/** The parameters of `pathname` when it matches the pattern, else undefined. */
export function matchPath(pattern: string, pathname: string): Record<string, string> | undefined {
  const patternParts = pattern.split('/');
  const parts = pathname.split('/');
  if (patternParts.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, part] of patternParts.entries()) {
    const actual = parts[index]!;
    if (part.startsWith(':')) {
      if (actual === '') return undefined;
      try {
        params[part.slice(1)] = decodeURIComponent(actual);
      } catch {
        return undefined;
      }
    } else if (part !== actual) {
      return undefined;
    }
  }
  return params;
}
