import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { LIMITS } from '../protocol/index.ts';
import { errorHandler, notFoundHandler } from './http/http-errors.ts';
import { idempotency } from './http/idempotency.ts';
import { operatorAuth } from './http/operator-auth.ts';
import { readBody } from './http/read-body.ts';
import { healthRoutes } from './routes/health.ts';
import type { GatewayEnv, RouteDeps } from './routes/route-deps.ts';
import { taskRoutes } from './routes/tasks.ts';
import { viberRoutes } from './routes/vibers.ts';

/** The gateway's HTTP surface as a Hono app (tests call `app.request()` in-process). */
export function createGatewayApp(deps: RouteDeps, corsOrigins: readonly string[]): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  app.onError(errorHandler(deps.core.log));
  app.notFound(notFoundHandler);
  if (corsOrigins.length > 0) {
    const allowed = new Set(corsOrigins);
    app.use(
      '*',
      cors({
        origin: (origin) => (allowed.has(origin) ? origin : null),
        allowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'Last-Event-ID'],
        allowMethods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
        exposeHeaders: ['Idempotent-Replayed'],
        maxAge: 600,
      }),
    );
  }
  app.route('/health', healthRoutes(deps));
  app.use('/api/*', operatorAuth(deps.core.auth));
  app.use('/api/*', readBody(LIMITS.maxBodyBytes));
  app.use('/api/*', idempotency(deps.core.store, deps.core.log));
  app.route('/api/vibers', viberRoutes(deps));
  app.route('/api/tasks', taskRoutes(deps));
  return app;
}
