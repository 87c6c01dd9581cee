import type { z } from 'zod';
import type {
  RestRoutes,
  RouteBody,
  RouteName,
  RouteParams,
  RouteQuery,
  RouteResponse,
} from '../protocol/index.ts';

/** The static side of a call: what a route takes and answers, derived from its table entry. */

export type RouteEntry<N extends RouteName> = RestRoutes[N];

type HasPart<R, K extends string> = R extends { readonly [P in K]: z.ZodType } ? true : false;

/** Options every call takes, whatever its route. */
export interface CallOptions {
  signal?: AbortSignal;
  /** Extra headers for this call (the client's own come first). */
  headers?: Readonly<Record<string, string>>;
}

/**
 * A call's input: `params` when the path has parameters, `query` when the route takes one,
 * `body` when it has a body, `idempotencyKey` when the gateway replays retries of it. Keys a
 * route does not take are refused by the compiler (an object literal's excess properties).
 */
export type RouteInput<N extends RouteName> = CallOptions &
  (HasPart<RouteEntry<N>, 'params'> extends true ? { params: RouteParams<RouteEntry<N>> } : unknown) &
  (HasPart<RouteEntry<N>, 'query'> extends true ? { query?: RouteQuery<RouteEntry<N>> } : unknown) &
  (HasPart<RouteEntry<N>, 'body'> extends true ? { body: RouteBody<RouteEntry<N>> } : unknown) &
  (RouteEntry<N> extends { readonly idempotencyKey: true } ? { idempotencyKey?: string } : unknown);

/** The input is optional when nothing in it is required (`client.call('tasks.list')`). */
export type RouteArgs<N extends RouteName> =
  Partial<RouteInput<N>> extends RouteInput<N> ? [input?: RouteInput<N>] : [input: RouteInput<N>];

export type ResponseOf<N extends RouteName> = RouteResponse<RouteEntry<N>>;

/** A JSON call's answer with what besides the body a caller may need. */
export interface CallResult<T> {
  status: number;
  data: T;
  /** True when the gateway answered a retry from its Idempotency-Key store. */
  replayed: boolean;
  headers: Headers;
}
