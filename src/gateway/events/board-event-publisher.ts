import type { Logger } from '../../core/logger.ts';
import {
  isTerminalTaskStatus,
  type TaskActivity,
  TaskActivitySchema,
  type TaskStatus,
} from '../../protocol/index.ts';
import type { BindingRecord, FullEnvironment, LogRecord } from '../environments/environment-store.ts';
import { pillOf, toBindingView, toLogLine } from '../environments/environment-views.ts';
import type { GatewayCore } from '../gateway-context.ts';
import { toTaskView } from '../http/views.ts';
import type { TaskRecord } from '../store/gateway-store.ts';
import { getViberView } from '../viber-service.ts';
import type { BoardEventHub } from './board-event-hub.ts';

const RUNNING_TASKS_SCAN = 1000;

/**
 * Turns gateway state changes into board events: a task's view (with what it is doing now) and a
 * viber's view (presence, heartbeat, config). Views are read back from the store, so an event
 * always shows committed state. Failures are logged, never thrown into the code that changed
 * the state: the board refetches on its next connection anyway.
 */
export class BoardEventPublisher {
  readonly #hub: BoardEventHub;
  readonly #log: Logger;
  readonly #activities = new Map<string, TaskActivity>();
  #core: GatewayCore | undefined;

  constructor(hub: BoardEventHub, log: Logger) {
    this.#hub = hub;
    this.#log = log;
  }

  /** The core is built around the observed store, so it arrives after construction. */
  attach(core: GatewayCore): void {
    this.#core = core;
  }

  get hub(): BoardEventHub {
    return this.#hub;
  }

  /** False while no board listens: callers skip the reads an event would need. */
  get listening(): boolean {
    return this.#hub.size > 0;
  }

  taskCreated(task: TaskRecord): void {
    if (this.#hub.size === 0) return;
    this.#hub.publish({ type: 'task.created', task: toTaskView(task) });
  }

  /** A task changed; `activity` is the daemon's latest status detail when this change carried one. */
  taskUpdated(task: TaskRecord, previousStatus: TaskStatus, activity?: TaskActivity): void {
    if (activity) this.#activities.set(task.id, activity);
    if (isTerminalTaskStatus(task.status)) this.#activities.delete(task.id);
    if (this.#hub.size > 0) {
      this.#hub.publish({
        type: 'task.updated',
        task: toTaskView(task),
        activity: isTerminalTaskStatus(task.status) ? null : (this.#activities.get(task.id) ?? null),
      });
    }
    // Running or not decides whether its viber is busy.
    if (task.status !== previousStatus) this.viberChanged(task.viberId);
  }

  viberChanged(viberId: string): void {
    if (this.#hub.size === 0 || !this.#core) return;
    getViberView(this.#core, viberId)
      .then((viber) => this.#hub.publish({ type: 'viber.updated', viber }))
      .catch((error: unknown) => this.#log.debug({ err: error, viberId }, 'viber event skipped'));
  }

  viberRevoked(viberId: string): void {
    this.#hub.publish({ type: 'viber.revoked', viberId });
  }

  /** An environment after a change: `binding` is the binding that changed, null for the environment. */
  environmentUpdated(full: FullEnvironment, binding: BindingRecord | null): void {
    this.#hub.publish({
      type: 'environment.updated',
      environmentId: full.environment.id,
      status: pillOf(full.bindings),
      binding: binding && toBindingView(binding),
    });
  }

  environmentRemoved(environmentId: string): void {
    this.#hub.publish({ type: 'environment.removed', environmentId });
  }

  /** A stored preparation log line (already redacted by the daemon and the gateway). */
  environmentLog(line: LogRecord): void {
    if (this.#hub.size === 0) return;
    this.#hub.publish({ type: 'environment.log', bindingId: line.bindingId, line: toLogLine(line) });
  }

  /**
   * What each running task is doing, for a new connection. A task this process has not heard
   * from since it started (a gateway restart) gets its activity from its last stored status event.
   */
  async activities(): Promise<Record<string, TaskActivity>> {
    const core = this.#core;
    if (!core) return {};
    const running = await core.store.listTasks({ status: 'running', limit: RUNNING_TASKS_SCAN });
    const result: Record<string, TaskActivity> = {};
    for (const task of running) {
      let activity = this.#activities.get(task.id);
      if (!activity) {
        const events = await core.store.listLifecycleEvents(task.id);
        activity = events.map(activityOfEvent).findLast((value) => value !== undefined);
        if (activity) this.#activities.set(task.id, activity);
      }
      if (activity) result[task.id] = activity;
    }
    return result;
  }
}

/** The activity a stored `task:progress` status event announces, if it is one. */
export function activityOfEvent(event: { type: string; payload: string }): TaskActivity | undefined {
  if (event.type !== 'task:progress') return undefined;
  try {
    const parsed = JSON.parse(event.payload) as { event?: { kind?: string; detail?: unknown } };
    if (parsed.event?.kind !== 'status') return undefined;
    const activity = TaskActivitySchema.safeParse(parsed.event.detail);
    return activity.success ? activity.data : undefined;
  } catch {
    return undefined;
  }
}
