import type { z } from 'zod';
import { describeZodError, fillPath, type RestRoute, type RouteName } from '../protocol/index.ts';
import { GatewayClientError } from './gateway-client-error.ts';

/** A call's input as the client reads it at run time (its static type comes from the route). */
export interface RequestInput {
  params?: unknown;
  query?: unknown;
  body?: unknown;
  idempotencyKey?: string;
  signal?: AbortSignal;
  headers?: Readonly<Record<string, string>>;
}

/** Reads the fields of a call's input without trusting its static type. */
export function readInput(value: unknown): RequestInput {
  if (typeof value !== 'object' || value === null) return {};
  const get = (key: string): unknown => Reflect.get(value, key);
  const key = get('idempotencyKey');
  const signal = get('signal');
  const headers = get('headers');
  return {
    params: get('params'),
    query: get('query'),
    body: get('body'),
    ...(typeof key === 'string' ? { idempotencyKey: key } : {}),
    ...(signal instanceof AbortSignal ? { signal } : {}),
    ...(isStringRecord(headers) ? { headers } : {}),
  };
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    Object.values(value).every((entry) => typeof entry === 'string')
  );
}

/**
 * Checks a part of the request against the route's schema before anything is sent, so a caller
 * learns which field is wrong in the gateway's own words (`goal: Too small ...`) without a round
 * trip. What is sent is the caller's value, not the parsed one, so the gateway sees what the
 * caller wrote (and an Idempotency-Key retry hashes the same body).
 */
function check(name: RouteName, part: string, schema: z.ZodType | undefined, value: unknown): void {
  if (!schema) {
    if (value !== undefined) {
      throw new GatewayClientError('validation_failed', `${name} takes no ${part}`, { route: name });
    }
    return;
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new GatewayClientError('validation_failed', `${name} ${part}: ${describeZodError(parsed.error)}`, {
      route: name,
    });
  }
}

/** The route's path with its parameters and query, relative to the gateway's base URL. */
export function routeTarget(name: RouteName, route: RestRoute, input: RequestInput): string {
  check(name, 'params', route.params, input.params);
  const path = route.params && isRecord(input.params) ? fillPath(route.path, input.params) : route.path;
  if (input.query === undefined) return path;
  check(name, 'query', route.query, input.query);
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(isRecord(input.query) ? input.query : {})) {
    if (value !== undefined && value !== null) search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `${path}?${text}` : path;
}

/** The JSON body to send, checked against the route's body schema. */
export function routeBody(name: RouteName, route: RestRoute, input: RequestInput): string | undefined {
  const schema = route.kind === 'json' ? route.body : undefined;
  check(name, 'body', schema, input.body);
  return input.body === undefined ? undefined : JSON.stringify(input.body);
}

function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null;
}
