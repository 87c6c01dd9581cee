import { DEFAULT_TIMINGS } from '../protocol/index.ts';
import type { GatewayCore } from './gateway-context.ts';
import type { TaskRouter } from './task-router.ts';

/**
 * Who is online, and what happens when a viber goes quiet (DESIGN.md, rule 5): a viber silent for
 * three heartbeat intervals is cut off; an offline viber has `taskGraceMs` to come back before its
 * running tasks end in error. One sweep timer for all connections keeps per-viber cost at a
 * timestamp.
 */
export class Presence {
  readonly #core: GatewayCore;
  readonly #router: TaskRouter;
  readonly #graceTimers = new Map<string, NodeJS.Timeout>();
  #sweepTimer: NodeJS.Timeout | undefined;

  constructor(core: GatewayCore, router: TaskRouter) {
    this.#core = core;
    this.#router = router;
  }

  /** Starts the silence sweep and gives vibers that had running tasks before a restart their grace. */
  async start(): Promise<void> {
    const interval = this.#core.timings.heartbeatIntervalMs;
    const every = Math.max(20, Math.min(Math.floor(interval / 2), 5_000));
    this.#sweepTimer = setInterval(() => this.sweep(), every);
    this.#sweepTimer.unref();
    for (const viberId of await this.#core.store.listVibersWithRunningTasks()) {
      if (!this.#core.connections.isOnline(viberId)) this.#startGrace(viberId);
    }
  }

  stop(): void {
    clearInterval(this.#sweepTimer);
    for (const timer of this.#graceTimers.values()) clearTimeout(timer);
    this.#graceTimers.clear();
  }

  /** Terminates connections silent for longer than the allowed number of heartbeat intervals. */
  sweep(now = Date.now()): void {
    const limit = this.#core.timings.heartbeatIntervalMs * DEFAULT_TIMINGS.missedHeartbeatsBeforeOffline;
    for (const connection of this.#core.connections.all()) {
      if (now - connection.lastSeenAt <= limit) continue;
      connection.log.warn(
        { silentMs: now - connection.lastSeenAt },
        'viber silent for 3 heartbeat intervals; disconnecting',
      );
      connection.socket.terminate();
    }
  }

  connected(viberId: string): void {
    const timer = this.#graceTimers.get(viberId);
    if (!timer) return;
    clearTimeout(timer);
    this.#graceTimers.delete(viberId);
  }

  disconnected(viberId: string): void {
    this.#startGrace(viberId);
  }

  #startGrace(viberId: string): void {
    if (this.#graceTimers.has(viberId)) return;
    const timer = setTimeout(() => {
      this.#graceTimers.delete(viberId);
      this.#expire(viberId).catch((error: unknown) => {
        this.#core.log.error({ err: error, viberId }, 'failed to end the tasks of an offline viber');
      });
    }, this.#core.timings.taskGraceMs);
    timer.unref();
    this.#graceTimers.set(viberId, timer);
  }

  async #expire(viberId: string): Promise<void> {
    if (this.#core.connections.isOnline(viberId)) return;
    const running = await this.#core.store.listTasksOfViber(viberId, ['running']);
    if (running.length === 0) return;
    const viber = await this.#core.store.getViber(viberId);
    const seconds = this.#core.timings.taskGraceMs / 1000;
    const reason = `viber ${viber?.name ?? viberId} (${viberId}) went offline and did not come back within the grace period of ${seconds} s`;
    for (const task of running) {
      await this.#router.endTask(
        task.id,
        reason,
        (current) => current.status === 'running' && !this.#core.connections.isOnline(viberId),
      );
    }
  }
}
