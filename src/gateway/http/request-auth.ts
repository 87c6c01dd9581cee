import type { IncomingMessage } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { OpenViberError } from '../../core/errors.ts';
import { BOARD_SESSION_COOKIE, matchRoute, type RouteAccess } from '../../protocol/index.ts';
import type { ConnectionSource } from '../auth/devices.ts';
import type { GatewayAuth } from '../auth/gateway-auth.ts';
import type { Principal } from '../auth/principal.ts';
import type { GatewayMetrics } from '../metrics/gateway-metrics.ts';
import { errorResponse } from './http-errors.ts';
import type { GatewayEnv } from './route-context.ts';
import { isSafeMethod, isSameOrigin } from './same-origin.ts';

/** Who an in-process request runs for: the operator socket's device and where the socket came from. */
export interface InProcessCaller {
  principal: Principal;
  source: ConnectionSource;
}

/**
 * The Hono environments the operator socket created for its requests. Only an env object made by
 * `operatorSocketEnv` carries a principal: the network's requests get the node server's env
 * (`{incoming, outgoing}`), which nothing in a request can turn into one of these.
 */
const inProcessEnvs = new WeakSet<object>();

/**
 * The env for `app.fetch(request, env)` that runs a request as `caller` (the operator socket's
 * device, already authenticated by its handshake): the request then passes every rule a REST
 * request does (the route's scope, validation, idempotency), without a bearer token.
 */
export function operatorSocketEnv(caller: InProcessCaller): { operatorSocket: InProcessCaller } {
  const env = { operatorSocket: { principal: caller.principal, source: caller.source } };
  inProcessEnvs.add(env);
  return env;
}

/** The caller an in-process request runs for, when `operatorSocketEnv` made its env. */
export function inProcessCaller(c: Context): InProcessCaller | undefined {
  const env: unknown = c.env;
  if (typeof env !== 'object' || env === null || !inProcessEnvs.has(env)) return undefined;
  return (env as { operatorSocket: InProcessCaller }).operatorSocket;
}

/**
 * Where a request came from: the socket's address, loopback only when no proxy header says it was
 * forwarded. In-process requests (tests' `app.request`) have no socket and are never loopback; an
 * operator socket's request comes from where its socket did.
 */
export function requestSource(c: Context): ConnectionSource {
  const caller = inProcessCaller(c);
  if (caller) return caller.source;
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  const address = incoming?.socket?.remoteAddress ?? 'in-process';
  const forwarded = ['forwarded', 'x-forwarded-for', 'x-real-ip'].some(
    (name) => c.req.header(name) !== undefined,
  );
  const loopback = !forwarded && ['127.0.0.1', '::1', '::ffff:127.0.0.1'].includes(address);
  return { address, loopback };
}

/** Who this request is, by its bearer token or board session cookie. */
export function authenticateRequest(auth: GatewayAuth, c: Context) {
  return auth.authenticate({
    authorization: c.req.header('authorization'),
    sessionToken: getCookie(c, BOARD_SESSION_COOKIE),
    source: requestSource(c),
  });
}

/** A 403 for a caller without the route's scope (its own class: the metrics count these apart). */
export class ScopeDeniedError extends OpenViberError {
  constructor(principal: Principal, needed: RouteAccess) {
    super('forbidden', scopeRefusal(principal, needed), 403);
  }
}

/** The refusal for a principal that lacks what a route needs. */
export function scopeRefusal(principal: Principal, needed: RouteAccess): string {
  if (needed === 'node') return 'only a viber (a node device) may call this';
  if (principal.role === 'node') return 'a viber (node) token cannot call operator routes';
  return `this device lacks the scope ${needed}: an operator with devices.admin can grant it on the Devices page`;
}

/**
 * Every /api route but the public ones (the route table's `scope: 'public'`) needs a caller: a
 * bearer device token or the board's session cookie; no localhost bypass. What the caller may do
 * is checked where each route is registered, from its entry (route-registrar.ts). A request the
 * operator socket runs in-process (`operatorSocketEnv`) is its device's. A
 * cookie-authenticated request that changes something must come from the gateway's own origin
 * (CSRF).
 */
export function authenticateRequests(
  auth: GatewayAuth,
  metrics: Pick<GatewayMetrics, 'authFailed'>,
): MiddlewareHandler<GatewayEnv> {
  return async function authenticateRequestsMiddleware(c, next) {
    const matched = matchRoute(c.req.method, c.req.path);
    if (matched?.route.scope === 'public') return next();
    // A request the operator socket runs for its device: the handshake proved who it is.
    const caller = inProcessCaller(c);
    if (caller) {
      c.set('principal', caller.principal);
      await next();
      if (c.error instanceof ScopeDeniedError) metrics.authFailed('scope_denied');
      return;
    }
    const result = await authenticateRequest(auth, c);
    if (!result.ok) {
      metrics.authFailed(
        result.code === 'rate_limited'
          ? 'rate_limited'
          : c.req.header('authorization') === undefined && getCookie(c, BOARD_SESSION_COOKIE) === undefined
            ? 'missing_credentials'
            : 'invalid_credentials',
      );
      c.header('WWW-Authenticate', 'Bearer');
      if (result.retryAfterMs) c.header('Retry-After', String(Math.ceil(result.retryAfterMs / 1000)));
      return errorResponse(c, result.code, result.message, result.status);
    }
    const principal = result.principal;
    if (principal.via === 'session' && !isSafeMethod(c.req.method) && !isSameOrigin(c)) {
      metrics.authFailed('cross_origin');
      return errorResponse(
        c,
        'forbidden',
        'cross-origin request refused: use the board or a bearer token',
        403,
      );
    }
    c.set('principal', principal);
    await next();
    if (c.error instanceof ScopeDeniedError) metrics.authFailed('scope_denied');
  };
}
