import type { DaemonMessage } from '../../protocol/index.ts';
import { LIMITS, PROTOCOL_VERSION } from '../../protocol/index.ts';
import type { Environments } from '../environments/index.ts';
import type { GatewayCore } from '../gateway-context.ts';
import type { Presence } from '../presence.ts';
import { handleTaskEvents, reconcileViber } from '../task-events.ts';
import type { TaskRouter } from '../task-router.ts';
import type { TerminalSocketServer } from '../terminal/terminal-socket-server.ts';
import type { ViberConnection } from './viber-connection.ts';

export interface DaemonMessageDeps {
  core: GatewayCore;
  router: TaskRouter;
  presence: Presence;
  environments?: Pick<Environments, 'handleDaemonMessage'>;
  /** Terminal traffic (terminal:*): relayed to viewers straight from the socket, see ViberSocketServer. */
  terminals?: Pick<TerminalSocketServer, 'handleDaemonMessage' | 'viberDisconnected'>;
}

/** Acts on one decoded daemon message. Runs serialised per connection (see ViberConnection). */
export async function handleDaemonMessage(
  deps: DaemonMessageDeps,
  connection: ViberConnection,
  message: DaemonMessage,
): Promise<void> {
  const { core, router } = deps;
  const now = new Date().toISOString();
  switch (message.type) {
    case 'connected': {
      if (message.viber.id !== connection.viberId) {
        connection.send({
          type: 'error',
          code: 'forbidden',
          message: `connected.viber.id ${message.viber.id.slice(0, 200)} does not match the authenticated viber ${connection.viberId}`,
        });
        return;
      }
      await core.store.recordViberConnected(connection.viberId, message.viber, now);
      connection.send({
        type: 'welcome',
        protocolVersion: PROTOCOL_VERSION,
        viberId: connection.viberId,
        heartbeatIntervalMs: core.timings.heartbeatIntervalMs,
        maxFrameBytes: LIMITS.maxFrameBytes,
      });
      deps.presence.connected(connection.viberId);
      await reconcileViber(core, router, connection.viberId, message.viber);
      await router.deliverOutbox(connection);
      connection.log.info(
        { version: message.viber.version, runningTasks: message.viber.runningTasks.length },
        'viber ready',
      );
      return;
    }
    case 'task:started':
    case 'task:stream-chunk':
    case 'task:progress':
    case 'task:completed':
    case 'task:error':
    case 'task:stopped':
      // The socket server group-commits task events (ViberConnection.enqueueTaskEvent); alone here.
      return handleTaskEvents(core, router, connection, [message]);
    case 'command:ack':
      return router.acknowledge(connection, message.commandId);
    case 'heartbeat':
      return core.store.recordViberHeartbeat(connection.viberId, message.status, now);
    case 'pong':
      return;
    case 'config:ack':
      connection.log.info({ configVersion: message.configVersion }, 'config acknowledged');
      return core.store.recordViberConfigState(connection.viberId, {
        configVersion: message.configVersion,
        lastConfigPullAt: now,
        validations: message.validations,
      });
    case 'environment:status':
    case 'environment:log':
      if (!(await deps.environments?.handleDaemonMessage(connection, message))) {
        connection.log.debug(
          { type: message.type },
          'environment message ignored: environments are not enabled',
        );
      }
      return;
    case 'error':
      connection.log.warn(
        { code: message.code, commandId: message.commandId },
        `daemon reported: ${message.message}`,
      );
      return;
    default:
      // terminal:* answers: relayed to the board by a later issue.
      connection.log.debug({ type: message.type }, 'terminal message ignored');
  }
}
