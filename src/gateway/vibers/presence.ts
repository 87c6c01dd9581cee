import type { Logger } from '../../core/logger.ts';
import { DEFAULT_TIMINGS, WS_CLOSE } from '../../protocol/index.ts';
import { CHANGES } from '../bus/gateway-topics.ts';
import type { TopicBus } from '../bus/topic-bus.ts';
import type { TaskRecord, TasksStore, VibersStore } from '../store/index.ts';
import type { ConnectionRegistry } from './connection-registry.ts';
import type { ViberLocations } from './viber-locations.ts';

export interface PresenceTimings {
  heartbeatIntervalMs: number;
  taskGraceMs: number;
}

/** How presence ends a task (the task router, seen from here). */
export interface TaskEnding {
  /** Ends the task in error when `stillApplies` holds inside the store's transaction. */
  endTask(taskId: string, reason: string, stillApplies: (task: TaskRecord) => boolean): Promise<boolean>;
}

export interface PresenceDeps {
  store: Pick<TasksStore, 'listVibersWithRunningTasks' | 'listTasksOfViber'> & Pick<VibersStore, 'getViber'>;
  bus: TopicBus;
  connections: ConnectionRegistry;
  tasks: TaskEnding;
  timings: PresenceTimings;
  /** With several gateways: tells the others where this gateway's vibers are. */
  locations?: Pick<ViberLocations, 'connected' | 'disconnected'>;
  log: Logger;
}

/**
 * Who is online, and what happens when a viber goes quiet (DESIGN.md, rule 5): a viber silent for
 * three heartbeat intervals is cut off; an offline viber has `taskGraceMs` to come back before its
 * running tasks end in error. One sweep timer for all connections keeps per-viber cost at a
 * timestamp. A revoked viber is cut off at once, on whichever gateway holds its socket (the
 * revocation comes over the change feed), and a viber going offline is announced on it.
 */
export class Presence {
  readonly #deps: PresenceDeps;
  readonly #graceTimers = new Map<string, NodeJS.Timeout>();
  #sweepTimer: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;

  constructor(deps: PresenceDeps) {
    this.#deps = deps;
  }

  /**
   * Starts the silence sweep, follows revocations, and gives vibers that had running tasks before
   * a restart their grace.
   */
  async start(): Promise<void> {
    const { bus, connections, timings, store } = this.#deps;
    this.#unsubscribe = bus.subscribe(CHANGES, (change) => {
      if (change.type !== 'viber.revoked') return;
      connections.get(change.viberId)?.close(WS_CLOSE.unauthorized, 'viber revoked');
    });
    const every = Math.max(20, Math.min(Math.floor(timings.heartbeatIntervalMs / 2), 5_000));
    this.#sweepTimer = setInterval(() => this.sweep(), every);
    this.#sweepTimer.unref();
    for (const viberId of await store.listVibersWithRunningTasks()) {
      if (!connections.isOnline(viberId)) this.#startGrace(viberId);
    }
  }

  stop(): void {
    this.#unsubscribe?.();
    clearInterval(this.#sweepTimer);
    for (const timer of this.#graceTimers.values()) clearTimeout(timer);
    this.#graceTimers.clear();
  }

  /** Terminates connections silent for longer than the allowed number of heartbeat intervals. */
  sweep(now = Date.now()): void {
    const limit = this.#deps.timings.heartbeatIntervalMs * DEFAULT_TIMINGS.missedHeartbeatsBeforeOffline;
    for (const connection of this.#deps.connections.all()) {
      if (now - connection.lastSeenAt <= limit) continue;
      connection.log.warn(
        { silentMs: now - connection.lastSeenAt },
        'viber silent for 3 heartbeat intervals; disconnecting',
      );
      connection.socket.terminate();
    }
  }

  connected(viberId: string): void {
    this.#deps.locations?.connected(viberId);
    const timer = this.#graceTimers.get(viberId);
    if (!timer) return;
    clearTimeout(timer);
    this.#graceTimers.delete(viberId);
  }

  disconnected(viberId: string): void {
    this.#deps.locations?.disconnected(viberId);
    this.#deps.bus.publish(CHANGES, { type: 'viber.disconnected', viberId });
    this.#startGrace(viberId);
  }

  #startGrace(viberId: string): void {
    if (this.#graceTimers.has(viberId)) return;
    const timer = setTimeout(() => {
      this.#graceTimers.delete(viberId);
      this.#expire(viberId).catch((error: unknown) => {
        this.#deps.log.error({ err: error, viberId }, 'failed to end the tasks of an offline viber');
      });
    }, this.#deps.timings.taskGraceMs);
    timer.unref();
    this.#graceTimers.set(viberId, timer);
  }

  async #expire(viberId: string): Promise<void> {
    const { store, connections, tasks, timings } = this.#deps;
    if (connections.isOnline(viberId)) return;
    const running = await store.listTasksOfViber(viberId, ['running']);
    if (running.length === 0) return;
    const viber = await store.getViber(viberId);
    const seconds = timings.taskGraceMs / 1000;
    const reason = `viber ${viber?.name ?? viberId} (${viberId}) went offline and did not come back within the grace period of ${seconds} s`;
    for (const task of running) {
      await tasks.endTask(
        task.id,
        reason,
        (current) => current.status === 'running' && !connections.isOnline(viberId),
      );
    }
  }
}
