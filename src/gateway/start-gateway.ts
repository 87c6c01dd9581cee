import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { OpenViberError } from '../core/errors.ts';
import { ensureDir } from '../core/home.ts';
import { createLogger } from '../core/logger.ts';
import { DEFAULT_TIMINGS } from '../protocol/index.ts';
import { createGatewayApp } from './app.ts';
import { DeviceSockets } from './auth/device-sockets.ts';
import { DeviceService } from './auth/devices.ts';
import { FailureLimiter } from './auth/failure-limiter.ts';
import { createGatewayAuth } from './auth/gateway-auth.ts';
import { resolveMetricsTokenHash } from './auth/metrics-token.ts';
import { NonceBook } from './auth/nonce-book.ts';
import { resolveOperatorToken } from './auth/operator-token.ts';
import { BoardEventStreams } from './board/board-event-routes.ts';
import { BoardEvents } from './board/board-events.ts';
import { BoardSessions } from './board/board-sessions.ts';
import { DEFAULT_BOARD_DIR } from './board/static-board.ts';
import { VIBER_OUTBOX } from './bus/gateway-topics.ts';
import { openChannels } from './channels/index.ts';
import { jobDeliveryHooks } from './channels/job-delivery.ts';
import { DesktopCrossing } from './desktop/desktop-crossing.ts';
import { DesktopViewRelay } from './desktop/desktop-view-relay.ts';
import { openEnvironments } from './environments/index.ts';
import type { GatewayOptions, RunningGateway } from './gateway-options.ts';
import { IDEMPOTENCY_TTL_MS } from './http/idempotency.ts';
import { openJobs } from './jobs/index.ts';
import { GatewayMcp } from './mcp/mcp-endpoint.ts';
import { GatewayMetrics } from './metrics/gateway-metrics.ts';
import { metricsText } from './metrics/metrics-text.ts';
import { TaskStates } from './metrics/task-states.ts';
import { openPorts } from './ports/index.ts';
import { openSharedState } from './shared-state.ts';
import { TaskCount } from './tasks/task-count.ts';
import { TaskDelegation } from './tasks/task-delegation.ts';
import { TaskRouter } from './tasks/task-router.ts';
import { StreamSessions } from './tasks/task-streams.ts';
import { TerminalCrossing } from './terminals/terminal-crossing.ts';
import { TerminalRelay } from './terminals/terminal-relay.ts';
import { terminalSocketPath } from './terminals/terminal-socket-path.ts';
import { ConnectionRegistry } from './vibers/connection-registry.ts';
import { Presence } from './vibers/presence.ts';
import { ViberLocations } from './vibers/viber-locations.ts';
import { ViberService } from './vibers/viber-service.ts';
import { DaemonDispatch } from './ws/daemon-dispatch.ts';
import { DesktopSocketServer } from './ws/desktop-socket-server.ts';
import { OperatorSocketServer } from './ws/operator-socket-server.ts';
import { TerminalSocketServer } from './ws/terminal-socket-server.ts';
import { DAEMON_SOCKET_PATH, ViberSocketServer } from './ws/viber-socket-server.ts';

/** The address clients use: a wildcard bind is reached on loopback; IPv6 goes in brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Starts the gateway: the store under `home.gateway`, the REST API and SSE streams, the operator
 * WebSocket at /api/ws, the terminal socket, and the daemon WebSocket at /ws, on one port.
 */
export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const host = options.host ?? '127.0.0.1';
  const log = options.logger ?? createLogger('gateway');
  ensureDir(options.home.gateway);
  const operator = resolveOperatorToken(options.home, options.operatorToken);
  const metricsTokenHash = resolveMetricsTokenHash(options.metricsToken);
  const metrics = new GatewayMetrics();
  const timings = {
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? DEFAULT_TIMINGS.heartbeatIntervalMs,
    taskGraceMs: options.taskGraceMs ?? DEFAULT_TIMINGS.taskGraceMs,
  };
  // The change feed: what each commit changed goes onto the bus, for task streams, the board, presence.
  const shared = await openSharedState(
    {
      gatewayDir: options.home.gateway,
      ...(options.store ? { store: options.store } : {}),
      ...(options.bus ? { bus: options.bus } : {}),
    },
    metrics,
    log,
  );
  const { store, bus } = shared;
  await store.purgeIdempotency(new Date(Date.now() - IDEMPOTENCY_TTL_MS).toISOString());
  await store.purgeBoardSecrets(new Date().toISOString());
  const deviceSockets = new DeviceSockets();
  const devices = new DeviceService({
    store,
    sockets: deviceSockets,
    limiter: new FailureLimiter(options.authFailureLimit),
    nonces: new NonceBook(),
    log: log.child({ component: 'devices' }),
    autoApproveLoopbackNodes: options.autoApproveLoopbackNodes ?? true,
    ...(options.connectTimeoutMs !== undefined ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
  });
  await devices.adoptOperatorToken(operator.token);
  const auth = createGatewayAuth(store, devices);
  const connections = new ConnectionRegistry();
  // Several gateways: where the others' vibers are (nothing is heard on the in-process bus).
  const locations = new ViberLocations({
    bus,
    gatewayId: shared.gatewayId,
    connections,
    refreshMs: timings.heartbeatIntervalMs,
    log: log.child({ component: 'locations' }),
  });
  connections.lookElsewhere((viberId) => locations.isElsewhere(viberId));
  const vibers = new ViberService({ store, devices, connections, log });
  const router = new TaskRouter({ store, bus, connections, log });
  const presence = new Presence({ store, bus, connections, tasks: router, timings, locations, log });
  const environments = await openEnvironments(
    { store, connections, log, outboxFilled: (viberId) => bus.publish(VIBER_OUTBOX, { viberId }) },
    options.home,
  );
  const streams = new StreamSessions({ store, bus, log, metrics });
  // Ports (docs/ports.md): services of the vibers' work, opened through links signed with the master key.
  const ports = openPorts({
    ...{ store, connections, bus, locations, home: options.home, log },
    gatewayId: shared.gatewayId,
    refreshMs: timings.heartbeatIntervalMs,
  });
  // Scheduled jobs (docs/jobs.md): every gateway schedules; the store's claim starts each tick once.
  const jobs = openJobs({
    ...{ store, bus, placement: environments.placement, log },
    minIntervalSeconds: options.jobMinIntervalSeconds,
    // A run's answer to a chat (docs/jobs.md, "Delivery to a chat"); channels open below, before any run.
    ...jobDeliveryHooks(store, () => channels),
  });
  // Before the server listens: no task is created between its count and its subscription.
  const taskCount = await TaskCount.open(store, bus);
  const taskStates = await TaskStates.open(store, bus);
  const boardEvents = new BoardEvents({ store, bus, vibers, log: log.child({ component: 'board-events' }) });
  const eventStreams = new BoardEventStreams({ bus, boardEvents, log });
  const mcp = new GatewayMcp({
    ...{ store, bus, router, vibers, auth, placement: environments.placement },
    corsOrigins: options.corsOrigins ?? [],
    log: log.child({ component: 'mcp' }),
  });
  // Chat channels (docs/channels.md); their webhook and task links use the public URL, known once listening.
  let publicUrl = options.publicUrl ?? process.env.OPENVIBER_PUBLIC_URL ?? '';
  const channels = openChannels({
    ...{ store, bus, router, placement: environments.placement, box: environments.box, log },
    gatewayId: shared.gatewayId,
    publicUrl: () => publicUrl,
  });
  const app = createGatewayApp({
    channels,
    ...{ store, bus, auth, devices, connections, taskCount, log, vibers, router, streams, environments, mcp },
    jobs,
    ports,
    board: { sessions: new BoardSessions(store, auth, devices), eventStreams, dir: DEFAULT_BOARD_DIR },
    corsOrigins: options.corsOrigins ?? [],
    unavailable: shared.unavailable,
    metrics: {
      counters: metrics,
      tokenHash: metricsTokenHash,
      render: () =>
        metricsText({
          ...{ metrics, connections, taskStates, taskStreams: streams, boardStreams: eventStreams, bus },
          outboxDepth: () => store.countCommands(),
          handshakeRefusals: devices.handshakeRefusals,
        }),
    },
  });
  const relay = new TerminalRelay(connections, log.child({ component: 'terminals' }));
  // Several gateways: terminals of vibers held by another gateway, through its inbox on the bus.
  const terminalCrossing = new TerminalCrossing({
    ...{ bus, relay, connections, locations },
    gatewayId: shared.gatewayId,
    refreshMs: timings.heartbeatIntervalMs,
    log: log.child({ component: 'terminals' }),
  });
  relay.crossGateways(terminalCrossing);
  const terminals = new TerminalSocketServer({
    auth,
    devices,
    deviceSockets,
    relay,
    log: log.child({ component: 'terminals' }),
    path: terminalSocketPath(),
  });
  const desktopViews = new DesktopViewRelay(connections, store, log.child({ component: 'desktop-view' }));
  // Several gateways: desktop views of vibers held by another gateway, through its inbox on the bus.
  const desktopCrossing = new DesktopCrossing({
    ...{ bus, locations, relay: desktopViews },
    gatewayId: shared.gatewayId,
    refreshMs: timings.heartbeatIntervalMs,
    log: log.child({ component: 'desktop-view' }),
  });
  desktopViews.crossGateways(desktopCrossing);
  const desktops = new DesktopSocketServer({
    ...{ auth, devices, deviceSockets, relay: desktopViews },
    log: log.child({ component: 'desktop-view' }),
  });
  // Delegation (docs/delegation.md): child tasks, their ends for their parents, stops down the tree.
  const delegation = new TaskDelegation({ ...{ store, bus, router, connections, metrics, log } });
  const dispatch = new DaemonDispatch({
    ...{ store, router, presence, environments, terminals: relay, desktopViews, delegation },
    ports: ports.relay,
    heartbeatIntervalMs: timings.heartbeatIntervalMs,
    metrics,
    log,
  });
  const sockets = new ViberSocketServer({ auth, devices, deviceSockets, connections, dispatch, log });
  const operatorSockets = new OperatorSocketServer({
    ...{ app, auth, devices, deviceSockets, bus, boardEvents },
    log: log.child({ component: 'operator-socket' }),
  });
  // With a certificate: https and wss on the same port (the upgrades below arrive over TLS too).
  const server = options.tls
    ? createAdaptorServer({
        fetch: app.fetch,
        hostname: host,
        overrideGlobalObjects: false,
        createServer: createHttpsServer,
        serverOptions: { cert: options.tls.cert, key: options.tls.key },
      })
    : createAdaptorServer({ fetch: app.fetch, hostname: host, overrideGlobalObjects: false });
  // By path: the terminal socket (its path is configurable), the desktop view, the operator socket, else the daemon's /ws.
  server.on('upgrade', (request, socket, head) => {
    if (terminals.matches(request)) terminals.handleUpgrade(request, socket, head);
    else if (ports.upgrades.matches(request)) ports.upgrades.handleUpgrade(request, socket, head);
    else if (desktops.matches(request)) desktops.handleUpgrade(request, socket, head);
    else if (operatorSockets.matches(request)) operatorSockets.handleUpgrade(request, socket, head);
    else sockets.handleUpgrade(request, socket, head);
  });

  boardEvents.start();
  delegation.start();
  locations.start();
  terminalCrossing.start();
  desktopCrossing.start();
  ports.crossing.start();
  await presence.start();
  jobs.scheduler.start();
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
    await jobs.scheduler.stop();
    locations.stop();
    terminalCrossing.stop();
    desktopCrossing.stop();
    ports.crossing.stop();
    boardEvents.stop();
    await terminals.close();
    await desktops.close();
    await operatorSockets.close();
    await shared.close();
    throw new OpenViberError(
      'internal',
      `cannot listen on ${host}:${options.port ?? 0}: ${(error as Error).message}`,
      500,
    );
  }
  const port = (server.address() as AddressInfo).port;
  const url = `${options.tls ? 'https' : 'http'}://${urlHost(host)}:${port}`;
  log.info({ url, ...timings }, 'gateway listening');
  publicUrl ||= url;
  channels.start();

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      presence.stop();
      await jobs.scheduler.stop();
      locations.stop();
      terminalCrossing.stop();
      desktopCrossing.stop();
      ports.crossing.stop();
      boardEvents.stop();
      taskCount.close();
      taskStates.close();
      streams.closeAll();
      eventStreams.closeAll();
      await mcp.close();
      await channels.close();
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      await terminals.close();
      await desktops.close();
      await operatorSockets.close();
      await sockets.close();
      if ('closeAllConnections' in server) server.closeAllConnections();
      await stopped;
      await shared.close();
      log.info('gateway closed');
    })();
    return closing;
  };

  return {
    url,
    wsUrl: `${options.tls ? 'wss' : 'ws'}://${urlHost(host)}:${port}${DAEMON_SOCKET_PATH}`,
    port,
    operatorToken: operator.token,
    operatorTokenGenerated: operator.generated,
    registerViber: (name) => vibers.register(name),
    app,
    close,
  };
}
