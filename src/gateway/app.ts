import { Hono } from 'hono';
import { cors } from 'hono/cors';
import type { Logger } from '../core/logger.ts';
import { LIMITS } from '../protocol/index.ts';
import type { DeviceService } from './auth/devices.ts';
import type { GatewayAuth } from './auth/gateway-auth.ts';
import { type BoardEventStreams, boardEventRoutes } from './board/board-event-routes.ts';
import type { BoardSessions } from './board/board-sessions.ts';
import { publicSessionRoutes, sessionRoutes } from './board/session-routes.ts';
import { boardRoutes } from './board/static-board.ts';
import type { TopicBus } from './bus/topic-bus.ts';
import type { Channels } from './channels/index.ts';
import { deviceRoutes } from './devices/device-routes.ts';
import type { Environments } from './environments/index.ts';
import { healthRoutes } from './http/health-routes.ts';
import { errorHandler, errorResponse, notFoundHandler } from './http/http-errors.ts';
import { idempotency } from './http/idempotency.ts';
import { metricsRoutes } from './http/metrics-routes.ts';
import { ClientDisconnectedError, isClientDisconnect, readBody } from './http/read-body.ts';
import { authenticateRequests } from './http/request-auth.ts';
import type { GatewayEnv } from './http/route-context.ts';
import type { Jobs } from './jobs/index.ts';
import type { GatewayMcp } from './mcp/mcp-endpoint.ts';
import type { GatewayMetrics } from './metrics/gateway-metrics.ts';
import type { Ports } from './ports/index.ts';
import { ModelSettingsService } from './settings/model-settings-service.ts';
import { settingsRoutes } from './settings/settings-routes.ts';
import type { GatewayStore } from './store/index.ts';
import type { TaskRouter } from './tasks/task-router.ts';
import { taskRoutes } from './tasks/task-routes.ts';
import type { StreamSessions } from './tasks/task-streams.ts';
import type { ConnectionRegistry } from './vibers/connection-registry.ts';
import { viberRoutes } from './vibers/viber-routes.ts';
import type { ViberService } from './vibers/viber-service.ts';

/** What the HTTP surface is made of: each concept's routes, and what the middleware checks. */
export interface GatewayAppParts {
  store: GatewayStore;
  /** The change feed's bus (a model settings change reaches every gateway's vibers over it). */
  bus?: TopicBus;
  auth: GatewayAuth;
  devices: DeviceService;
  connections: ConnectionRegistry;
  /** How many tasks the store holds, kept in memory (tasks/task-count.ts): `/health` reads it. */
  taskCount: { readonly value: number };
  log: Logger;
  vibers: ViberService;
  router: TaskRouter;
  streams: StreamSessions;
  environments: Environments;
  /** Scheduled jobs' routes (docs/jobs.md). */
  jobs: Pick<Jobs, 'routes'>;
  /** Ports (docs/ports.md): the REST routes, and the proxy at /ports/ (checked by its links' tokens). */
  ports: Pick<Ports, 'routes' | 'proxy'>;
  /** The MCP server at /mcp (its own auth: bearer tokens only, scopes by tool). */
  mcp: Pick<GatewayMcp, 'routes'>;
  /** Chat channels (docs/channels.md): the /api/channels routes, and the platforms' public webhook. */
  channels: Pick<Channels, 'routes' | 'webhook'>;
  board: {
    sessions: BoardSessions;
    eventStreams: BoardEventStreams;
    /** The built board (web/build); a missing folder answers pages with 503 and how to build it. */
    dir: string;
  };
  /** Origins allowed to call the API from a browser. */
  corsOrigins: readonly string[];
  /** `GET /metrics`: the counters the middleware adds to, the metrics token's hash, the text. */
  metrics: { counters: GatewayMetrics; tokenHash: string | undefined; render(): Promise<string> };
  /** Why the gateway cannot take new work now (its Redis bus unreachable); undefined when it can. */
  unavailable?: () => string | undefined;
}

/** The gateway's HTTP surface as a Hono app (tests call `app.request()` in-process). */
export function createGatewayApp(parts: GatewayAppParts): Hono<GatewayEnv> {
  const { auth, log, board, environments } = parts;
  const app = new Hono<GatewayEnv>();
  const handleError = errorHandler(log);
  app.onError((error, c) => {
    // A client that hangs up mid-body is not a gateway fault: one info line, no stack.
    if (isClientDisconnect(error)) {
      const receivedBytes = error instanceof ClientDisconnectedError ? error.receivedBytes : undefined;
      log.info(
        { method: c.req.method, path: c.req.path, receivedBytes },
        'client disconnected before sending the whole request body',
      );
      return errorResponse(c, 'bad_request', 'the request body was not complete', 400);
    }
    return handleError(error, c);
  });
  app.notFound(notFoundHandler);
  // Opened ports, before CORS and everything under /api: only the link's token counts there, and
  // the gateway answers the sandboxed page's own CORS itself (docs/ports.md).
  app.route('/', parts.ports.proxy);
  if (parts.corsOrigins.length > 0) {
    const allowed = new Set(parts.corsOrigins);
    app.use(
      '*',
      cors({
        origin: (origin) => (allowed.has(origin) ? origin : null),
        allowHeaders: [
          'Authorization',
          'Content-Type',
          'Idempotency-Key',
          'Last-Event-ID',
          'Mcp-Protocol-Version',
        ],
        allowMethods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
        exposeHeaders: ['Idempotent-Replayed'],
        maxAge: 600,
      }),
    );
  }
  // Each concept's routes sit at the full paths of the route table (src/protocol/rest-routes.ts),
  // registered by http/route-registrar.ts; the order here is what decides which middleware they pass.
  app.route('/', healthRoutes(parts));
  // Outside /api and public: a platform's update proves itself by its signature (docs/channels.md).
  app.route('/', parts.channels.webhook);
  // Several gateways: one cut off from its bus refuses new work, rather than queue commands no
  // gateway holding the viber would hear of; reads and the board still answer.
  app.use('/api/*', async (c, next) => {
    const reason = c.req.method === 'GET' ? undefined : parts.unavailable?.();
    if (reason) return errorResponse(c, 'internal', `${reason}: try again shortly`, 503);
    return next();
  });
  // Outside /api, with its own auth: an operator device, or the metrics token and nothing else.
  const { counters, tokenHash, render } = parts.metrics;
  app.route('/', metricsRoutes({ auth, tokenHash, metrics: counters, render }));
  // Who is calling; each route then checks its own scope from the table (public ones need nobody).
  app.use('/api/*', authenticateRequests(auth, counters));
  app.route('/', publicSessionRoutes(board.sessions));
  app.route('/', environments.configRoute);
  // Before the body reader and idempotency: these never store a response (a login code is a secret).
  app.route('/', sessionRoutes(board.sessions));
  app.route('/', boardEventRoutes(board.eventStreams));
  app.use('/api/*', readBody(LIMITS.maxBodyBytes));
  // Responses holding a secret (a new viber's token) are stored sealed under the master key.
  app.use('/api/*', idempotency(parts.store, log, environments.box));
  app.route('/', viberRoutes(parts.vibers));
  app.route('/', taskRoutes({ ...parts, placement: environments.placement }));
  app.route('/', environments.routes);
  app.route('/', parts.ports.routes);
  app.route('/', parts.jobs.routes);
  // The model settings every viber pulls (docs/settings.md); keys sealed like environment secrets.
  const { store, connections } = parts;
  app.route(
    '/',
    settingsRoutes(
      new ModelSettingsService({ store, box: environments.box, connections, bus: parts.bus, log }),
    ),
  );
  app.route('/', deviceRoutes(parts.devices));
  app.route('/', parts.channels.routes);
  app.route('/', parts.mcp.routes);
  // Last: the board's pages and assets answer whatever GET the API did not.
  app.route('/', boardRoutes({ dir: board.dir, auth }));
  return app;
}
