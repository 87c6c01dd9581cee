import type { Hono, MiddlewareHandler } from 'hono';
import { METRICS_MEDIA_TYPE, routeOf } from '../../protocol/index.ts';
import type { GatewayAuth } from '../auth/gateway-auth.ts';
import type { Principal } from '../auth/principal.ts';
import { bearerToken, hashToken, tokenHashesEqual } from '../auth/token-hash.ts';
import type { GatewayMetrics } from '../metrics/gateway-metrics.ts';
import { errorResponse } from './http-errors.ts';
import { authenticateRequest, scopeRefusal } from './request-auth.ts';
import type { GatewayEnv } from './route-context.ts';
import { routes } from './route-registrar.ts';

export interface MetricsRouteDeps {
  auth: GatewayAuth;
  /** The metrics token's SHA-256 (hex); undefined: only operator devices may scrape. */
  tokenHash: string | undefined;
  metrics: Pick<GatewayMetrics, 'authFailed'>;
  /** The exposition text, written at each scrape. */
  render(): Promise<string>;
}

/**
 * Who scrapes with the metrics token: an operator with no scope at all. The token opens only this
 * route (its middleware is the only place that knows it), and `operator` access needs no scope.
 */
const METRICS_SCRAPER: Principal = {
  deviceId: 'metrics-token',
  role: 'operator',
  scopes: new Set(),
  via: 'bearer',
};

/**
 * `GET /metrics` (outside /api: scrapers expect it at the root). Admitted: the metrics token,
 * compared in constant time (as hashes, so its length leaks nothing), or any operator device by
 * its token or the board's session. The token is never written to a log or to the output.
 */
export function metricsRoutes(deps: MetricsRouteDeps): Hono<GatewayEnv> {
  const registrar = routes();
  registrar.app.use(routeOf('metrics.get').path, metricsAuth(deps));
  return registrar.file('metrics.get', async () => {
    return new Response(await deps.render(), {
      status: 200,
      headers: { 'Content-Type': METRICS_MEDIA_TYPE, 'Cache-Control': 'no-store' },
    });
  }).app;
}

function metricsAuth(deps: MetricsRouteDeps): MiddlewareHandler<GatewayEnv> {
  return async function metricsAuthMiddleware(c, next) {
    const bearer = bearerToken(c.req.header('authorization'));
    if (bearer && deps.tokenHash && tokenHashesEqual(hashToken(bearer), deps.tokenHash)) {
      c.set('principal', METRICS_SCRAPER);
      return next();
    }
    const result = await authenticateRequest(deps.auth, c);
    if (!result.ok) {
      const missing = result.message.startsWith('missing');
      deps.metrics.authFailed(
        result.code === 'rate_limited'
          ? 'rate_limited'
          : missing
            ? 'missing_credentials'
            : 'invalid_credentials',
      );
      c.header('WWW-Authenticate', 'Bearer');
      if (result.retryAfterMs) c.header('Retry-After', String(Math.ceil(result.retryAfterMs / 1000)));
      const message = missing
        ? 'missing Authorization: Bearer <operator device token or metrics token>'
        : result.message;
      return errorResponse(c, result.code, message, result.status);
    }
    if (result.principal.role !== 'operator') {
      deps.metrics.authFailed('scope_denied');
      return errorResponse(c, 'forbidden', scopeRefusal(result.principal, 'operator'), 403);
    }
    c.set('principal', result.principal);
    return next();
  };
}
