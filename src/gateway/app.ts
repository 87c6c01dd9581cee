import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { LIMITS } from '../protocol/index.ts';
import type { BoardDeps } from './board/board-deps.ts';
import { publicSessionRoutes, sessionRoutes } from './board/session-routes.ts';
import { boardRoutes } from './board/static-board.ts';
import { eventsRoutes } from './events/events-routes.ts';
import { errorHandler, errorResponse, notFoundHandler } from './http/http-errors.ts';
import { idempotency } from './http/idempotency.ts';
import { operatorAuth } from './http/operator-auth.ts';
import { ClientDisconnectedError, isClientDisconnect, readBody } from './http/read-body.ts';
import { healthRoutes } from './routes/health.ts';
import type { GatewayEnv, RouteDeps } from './routes/route-deps.ts';
import { taskReportRoutes } from './routes/task-report.ts';
import { taskRoutes } from './routes/tasks.ts';
import { viberRoutes } from './routes/vibers.ts';

/** The gateway's HTTP surface as a Hono app (tests call `app.request()` in-process). */
export function createGatewayApp(
  deps: RouteDeps,
  corsOrigins: readonly string[],
  board?: BoardDeps,
): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  const handleError = errorHandler(deps.core.log);
  app.onError((error, c) => {
    // A client that hangs up mid-body is not a gateway fault: one info line, no stack.
    if (isClientDisconnect(error)) {
      const receivedBytes = error instanceof ClientDisconnectedError ? error.receivedBytes : undefined;
      deps.core.log.info(
        { method: c.req.method, path: c.req.path, receivedBytes },
        'client disconnected before sending the whole request body',
      );
      return errorResponse(c, 'bad_request', 'the request body was not complete', 400);
    }
    return handleError(error, c);
  });
  app.notFound(notFoundHandler);
  if (corsOrigins.length > 0) {
    const allowed = new Set(corsOrigins);
    app.use(
      '*',
      cors({
        origin: (origin) => (allowed.has(origin) ? origin : null),
        allowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'Last-Event-ID'],
        allowMethods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
        exposeHeaders: ['Idempotent-Replayed'],
        maxAge: 600,
      }),
    );
  }
  app.route('/health', healthRoutes(deps));
  // Sign-in needs no session; everything else under /api does.
  if (board) app.route('/api/session', publicSessionRoutes(board.sessions));
  // The viber config pull authenticates the viber's own token, not the operator's.
  if (deps.environments) app.route('/api/vibers', deps.environments.configRoute);
  app.use('/api/*', operatorAuth(deps.core.auth));
  if (board) {
    // Before the body reader and idempotency: these never store a response (a login code is a secret).
    app.route('/api', sessionRoutes(board.sessions, deps.core.auth));
    app.route('/api', eventsRoutes(board.publisher, board.eventStreams, deps.core.log));
  }
  app.use('/api/*', readBody(LIMITS.maxBodyBytes));
  // Responses holding a secret (a new viber's token) are stored sealed under the master key.
  app.use('/api/*', idempotency(deps.core.store, deps.core.log, deps.environments?.box));
  app.route('/api/vibers', viberRoutes(deps));
  app.route('/api/tasks', taskRoutes(deps));
  if (deps.environments) app.route('/api/environments', deps.environments.routes);
  app.route('/api/tasks', taskReportRoutes(deps));
  // Last: the board's pages and assets answer whatever GET the API did not.
  if (board) app.route('/', boardRoutes({ dir: board.dir, auth: deps.core.auth }));
  return app;
}
