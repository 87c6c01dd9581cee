import type { Logger } from '../../core/logger.ts';
import type {
  DaemonMessage,
  DocumentDaemonMessage,
  DocumentTaskEvent,
  TaskEvent,
  UnnumberedTaskEvent,
} from '../../protocol/index.ts';
import { LIMITS, PROTOCOL_VERSION } from '../../protocol/index.ts';
import { type DesktopViewRelay, isDesktopMessage } from '../desktop/desktop-view-relay.ts';
import type { Environments } from '../environments/index.ts';
import type { GatewayMetrics } from '../metrics/gateway-metrics.ts';
import { isPortMessage, type PortRelay } from '../ports/port-relay.ts';
import type { GatewayStore } from '../store/index.ts';
import { DocumentTaskEvents } from '../tasks/document-task-events.ts';
import type { TaskDelegation } from '../tasks/task-delegation.ts';
import { handleTaskEvents, handleUnnumberedTaskEvents, isTaskEvent } from '../tasks/task-event-intake.ts';
import { reconcileViber } from '../tasks/task-reconcile.ts';
import type { TaskRouter } from '../tasks/task-router.ts';
import { isTerminalMessage, type TerminalRelay } from '../terminals/terminal-relay.ts';
import type { Presence } from '../vibers/presence.ts';
import type { ViberConnection } from '../vibers/viber-connection.ts';

export interface DaemonDispatchDeps {
  store: GatewayStore;
  router: TaskRouter;
  presence: Presence;
  environments: Pick<Environments, 'handleDaemonMessage'>;
  terminals: Pick<TerminalRelay, 'handleDaemonMessage' | 'handleDaemonFrame' | 'viberDisconnected'>;
  desktopViews: Pick<DesktopViewRelay, 'handleDaemonMessage' | 'handleDaemonFrame' | 'viberDisconnected'>;
  /** Ports' listings and proxied exchanges (docs/ports.md). */
  ports: Pick<PortRelay, 'handleDaemonMessage' | 'handleDaemonFrame' | 'viberDisconnected'>;
  /** A running task's `task:delegate` (docs/delegation.md). */
  delegation: Pick<TaskDelegation, 'handleRequest'>;
  /** Told to daemons in `welcome`. */
  heartbeatIntervalMs: number;
  /** Events stored; each viber's last heartbeat figures. */
  metrics: Pick<GatewayMetrics, 'eventsStored' | 'heartbeat'>;
  log: Logger;
}

/**
 * The one place a decoded daemon message is acted on, and what a daemon connection's opening and
 * closing mean to the rest of the gateway. Terminal output goes to its viewers at once (it must not
 * wait behind task events being stored; its own order is kept); task events join the connection's
 * next group commit (ViberConnection.enqueueTaskEvent); any other message runs after every earlier
 * frame of the connection was handled. A daemon without the `seq` extension speaks the protocol
 * document's task events (`dispatchDocument`): the gateway parses their SSE text and numbers the
 * events itself, then stores them the same way.
 */
export class DaemonDispatch {
  readonly #deps: DaemonDispatchDeps;
  /** Per connection of a daemon without `seq`: its tasks' SSE text cut between frames. */
  readonly #documentEvents = new WeakMap<ViberConnection, DocumentTaskEvents>();

  constructor(deps: DaemonDispatchDeps) {
    this.#deps = deps;
  }

  opened(connection: ViberConnection): void {
    this.#deps.presence.connected(connection.viberId);
  }

  dispatch(connection: ViberConnection, message: DaemonMessage): void {
    if (isTerminalMessage(message) && connection.ready) {
      this.#deps.terminals.handleDaemonMessage(connection.viberId, message);
      return;
    }
    if (isDesktopMessage(message)) {
      if (connection.ready) this.#deps.desktopViews.handleDaemonMessage(connection.viberId, message);
      return;
    }
    if (isPortMessage(message)) {
      if (connection.ready) this.#deps.ports.handleDaemonMessage(connection.viberId, message);
      return;
    }
    if (isTaskEvent(message)) {
      this.enqueueTaskEvent(connection, message);
      return;
    }
    connection.serialize(() => this.#handle(connection, message));
  }

  /**
   * A binary frame of a daemon that negotiated `terminal-binary` (pane output, or a desktop view's
   * bytes), relayed at once like terminal messages. False when the frame is not one (the caller refuses it).
   */
  dispatchBinary(connection: ViberConnection, data: Buffer | ArrayBuffer | Buffer[]): boolean {
    if (!connection.extensions.includes('terminal-binary')) return false;
    if (!connection.ready) return true;
    // `ws` hands over a Buffer (the socket's default binaryType); the others are converted.
    const frame = Buffer.isBuffer(data)
      ? data
      : Array.isArray(data)
        ? Buffer.concat(data)
        : Buffer.from(data);
    return (
      this.#deps.terminals.handleDaemonFrame(connection.viberId, frame) ||
      this.#deps.desktopViews.handleDaemonFrame(connection.viberId, frame) ||
      this.#deps.ports.handleDaemonFrame(connection.viberId, frame)
    );
  }

  /** A task event (or the stand-in for a refused one) for the connection's next group commit. */
  enqueueTaskEvent(connection: ViberConnection, event: TaskEvent): void {
    connection.enqueueTaskEvent(event, (events, arrivedAt) =>
      handleTaskEvents(this.#deps, connection, events, true, arrivedAt),
    );
  }

  /** A message of a daemon that speaks only the protocol document's frames (no `seq`). */
  dispatchDocument(connection: ViberConnection, message: DocumentDaemonMessage): void {
    if (!isDocumentTaskEvent(message)) {
      this.dispatch(connection, message);
      return;
    }
    for (const event of this.#documentEventsOf(connection).toTaskEvents(message)) {
      this.enqueueUnnumbered(connection, event);
    }
  }

  /** A task event the gateway numbers when it is stored (a daemon without `seq`). */
  enqueueUnnumbered(connection: ViberConnection, event: UnnumberedTaskEvent): void {
    connection.enqueueTaskEvent(event, (events, arrivedAt) =>
      handleUnnumberedTaskEvents(this.#deps, connection, events, arrivedAt),
    );
  }

  #documentEventsOf(connection: ViberConnection): DocumentTaskEvents {
    let events = this.#documentEvents.get(connection);
    if (!events) {
      events = new DocumentTaskEvents((taskId, message) => connection.log.warn({ taskId }, message));
      this.#documentEvents.set(connection, events);
    }
    return events;
  }

  /** The viber's current connection closed; a gateway shutting down gives no grace (it is gone). */
  closed(connection: ViberConnection, shuttingDown: boolean): void {
    this.#deps.terminals.viberDisconnected(connection.viberId);
    this.#deps.desktopViews.viberDisconnected(connection.viberId);
    this.#deps.ports.viberDisconnected(connection.viberId);
    if (!shuttingDown) this.#deps.presence.disconnected(connection.viberId);
  }

  async #handle(connection: ViberConnection, message: Exclude<DaemonMessage, TaskEvent>): Promise<void> {
    const { store, router } = this.#deps;
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
        await store.recordViberConnected(connection.viberId, message.viber, now);
        connection.send({
          type: 'welcome',
          protocolVersion: PROTOCOL_VERSION,
          viberId: connection.viberId,
          heartbeatIntervalMs: this.#deps.heartbeatIntervalMs,
          maxFrameBytes: LIMITS.maxFrameBytes,
        });
        this.#deps.presence.connected(connection.viberId);
        await reconcileViber(this.#deps, connection.viberId, message.viber);
        await router.deliverOutbox(connection);
        // The gateway's logger with the id, not the connection's: most connections never need their own.
        this.#deps.log.info(
          {
            viberId: connection.viberId,
            version: message.viber.version,
            runningTasks: message.viber.runningTasks.length,
          },
          'viber ready',
        );
        return;
      }
      case 'command:ack':
        return router.acknowledge(connection, message.commandId);
      case 'task:delegate':
        return this.#deps.delegation.handleRequest(connection, message);
      case 'heartbeat':
        this.#deps.metrics.heartbeat(connection.viberId, message.status.runningTasks, message.metrics);
        return store.recordViberHeartbeat(connection.viberId, message.status, now);
      case 'pong':
        return;
      case 'config:ack':
        connection.log.info({ configVersion: message.configVersion }, 'config acknowledged');
        return store.recordViberConfigState(connection.viberId, {
          configVersion: message.configVersion,
          lastConfigPullAt: now,
          validations: message.validations,
        });
      case 'environment:status':
      case 'environment:log':
        return this.#deps.environments.handleDaemonMessage(connection, message);
      case 'error':
        connection.log.warn(
          { code: message.code, commandId: message.commandId },
          `daemon reported: ${message.message}`,
        );
        return;
      default:
        // terminal:* before `connected`: no viewer can have asked this connection anything yet.
        connection.log.debug({ type: message.type }, 'terminal message before connected ignored');
    }
  }
}

const isDocumentTaskEvent = (message: DocumentDaemonMessage): message is DocumentTaskEvent =>
  message.type.startsWith('task:');
