import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createAdaptorServer } from '@hono/node-server';
import { OpenViberError } from '../core/errors.ts';
import { ensureDir } from '../core/home.ts';
import { createLogger } from '../core/logger.ts';
import { DEFAULT_TIMINGS } from '../protocol/index.ts';
import { createGatewayApp } from './app.ts';
import { createTokenAuth } from './auth/gateway-auth.ts';
import { resolveOperatorToken } from './auth/operator-token.ts';
import { BoardSessions } from './board/board-sessions.ts';
import { DEFAULT_BOARD_DIR } from './board/static-board.ts';
import { InProcessTaskBus } from './bus/task-bus.ts';
import { openEnvironments } from './environments/index.ts';
import { BoardEventHub } from './events/board-event-hub.ts';
import { BoardEventPublisher } from './events/board-event-publisher.ts';
import { BoardEventStreams } from './events/events-routes.ts';
import { ObservedConnectionRegistry } from './events/observed-connections.ts';
import { observeEnvironmentStore } from './events/observed-environment-store.ts';
import { observeStore } from './events/observed-store.ts';
import type { GatewayCore } from './gateway-context.ts';
import type { GatewayOptions, RunningGateway } from './gateway-options.ts';
import { IDEMPOTENCY_TTL_MS } from './http/idempotency.ts';
import { Presence } from './presence.ts';
import { StreamSessions } from './routes/task-stream.ts';
import { SqliteGatewayStore } from './store/sqlite-store.ts';
import { TaskRouter } from './task-router.ts';
import { TerminalSocketServer, terminalSocketPath } from './terminal/terminal-socket-server.ts';
import { registerViber } from './viber-service.ts';
import { DAEMON_SOCKET_PATH, ViberSocketServer } from './ws/viber-socket-server.ts';

export const GATEWAY_DB_FILE = 'openviber.db';

/** The address clients use: a wildcard bind is reached on loopback; IPv6 goes in brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Starts the gateway: the store under `home.gateway`, the REST API and SSE streams, and the daemon
 * WebSocket at /ws, on one port.
 */
export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const host = options.host ?? '127.0.0.1';
  const log = options.logger ?? createLogger('gateway');
  ensureDir(options.home.gateway);
  const operator = resolveOperatorToken(options.home, options.operatorToken);
  // Board events: every task and viber change passes the store, so the store is the hook point.
  const boardEvents = new BoardEventPublisher(new BoardEventHub(), log.child({ component: 'board-events' }));
  const store = observeStore(
    new SqliteGatewayStore(join(options.home.gateway, GATEWAY_DB_FILE)),
    boardEvents,
  );
  await store.purgeIdempotency(new Date(Date.now() - IDEMPOTENCY_TTL_MS).toISOString());
  await store.purgeBoardSecrets(new Date().toISOString());
  const core: GatewayCore = {
    store,
    bus: new InProcessTaskBus(),
    auth: createTokenAuth(store, operator.token),
    connections: new ObservedConnectionRegistry(boardEvents),
    timings: {
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? DEFAULT_TIMINGS.heartbeatIntervalMs,
      taskGraceMs: options.taskGraceMs ?? DEFAULT_TIMINGS.taskGraceMs,
    },
    log,
  };
  boardEvents.attach(core);
  const environments = await openEnvironments(
    core,
    options.home,
    join(options.home.gateway, GATEWAY_DB_FILE),
    {
      observe: (environmentStore) => observeEnvironmentStore(environmentStore, boardEvents, log),
    },
  );
  const router = new TaskRouter(core);
  const presence = new Presence(core, router);
  const streams = new StreamSessions();
  const eventStreams = new BoardEventStreams();
  const app = createGatewayApp({ core, router, streams, environments }, options.corsOrigins ?? [], {
    sessions: new BoardSessions(store, core.auth),
    publisher: boardEvents,
    eventStreams,
    dir: DEFAULT_BOARD_DIR,
  });
  const terminals = new TerminalSocketServer({
    auth: core.auth,
    connections: core.connections,
    log: log.child({ component: 'terminals' }),
    path: terminalSocketPath(),
  });
  const sockets = new ViberSocketServer({ core, router, presence, environments, terminals });
  const server = createAdaptorServer({ fetch: app.fetch, hostname: host, overrideGlobalObjects: false });
  server.on('upgrade', (request, socket, head) =>
    terminals.matches(request)
      ? terminals.handleUpgrade(request, socket, head)
      : sockets.handleUpgrade(request, socket, head),
  );

  await presence.start();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    presence.stop();
    await environments.close();
    await store.close();
    throw new OpenViberError(
      'internal',
      `cannot listen on ${host}:${options.port ?? 0}: ${(error as Error).message}`,
      500,
    );
  }
  const port = (server.address() as AddressInfo).port;
  const url = `http://${urlHost(host)}:${port}`;
  log.info(
    { url, heartbeatIntervalMs: core.timings.heartbeatIntervalMs, taskGraceMs: core.timings.taskGraceMs },
    'gateway listening',
  );

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      presence.stop();
      streams.closeAll();
      eventStreams.closeAll();
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      await terminals.close();
      await sockets.close();
      if ('closeAllConnections' in server) server.closeAllConnections();
      await stopped;
      await environments.close();
      await store.close();
      log.info('gateway closed');
    })();
    return closing;
  };

  return {
    url,
    wsUrl: `ws://${urlHost(host)}:${port}${DAEMON_SOCKET_PATH}`,
    port,
    operatorToken: operator.token,
    operatorTokenGenerated: operator.generated,
    registerViber: (name) => registerViber(core, name),
    app,
    close,
  };
}
