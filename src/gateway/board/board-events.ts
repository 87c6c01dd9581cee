import type { Logger } from '../../core/logger.ts';
import {
  type BoardEvent,
  isTerminalTaskStatus,
  type TaskActivity,
  TaskActivitySchema,
} from '../../protocol/index.ts';
import {
  BOARD_EVENTS,
  CHANGES,
  type GatewayChange,
  JOBS_CHANGED,
  type JobChanged,
} from '../bus/gateway-topics.ts';
import type { TopicBus } from '../bus/topic-bus.ts';
import { pillOf, toBindingView, toLogLine } from '../environments/environment-views.ts';
import type { BindingRecord, EnvironmentsStore, TaskChanged, TasksStore } from '../store/index.ts';
import { toTaskView } from '../tasks/task-views.ts';
import type { ViberService } from '../vibers/viber-service.ts';

const RUNNING_TASKS_SCAN = 1000;

export interface BoardEventsDeps {
  store: Pick<TasksStore, 'listTasks' | 'listLifecycleEvents'> & Pick<EnvironmentsStore, 'getEnvironment'>;
  bus: TopicBus;
  vibers: Pick<ViberService, 'view'>;
  log: Logger;
}

/**
 * The board's push events, derived from the change feed: a task's view (with what it is doing
 * now), a viber's view (presence, heartbeat, config), an environment's pill and binding. Views are
 * read back from the store, so an event shows committed state, and events go out one after the
 * other in the order of the changes (a binding's `ready` never overtakes its log lines). Reads
 * are skipped while no board listens; a failed read is logged, never thrown into the change: the
 * board refetches on its next connection anyway.
 */
export class BoardEvents {
  readonly #deps: BoardEventsDeps;
  readonly #activities = new Map<string, TaskActivity>();
  #queue: Promise<void> = Promise.resolve();
  #unsubscribe: (() => void) | undefined;
  #unsubscribeJobs: (() => void) | undefined;

  constructor(deps: BoardEventsDeps) {
    this.#deps = deps;
  }

  start(): void {
    this.#unsubscribe = this.#deps.bus.subscribe(CHANGES, (change) => this.#onChange(change));
    // Jobs and their runs (docs/jobs.md): the notice every gateway's scheduler hears, on every gateway.
    this.#unsubscribeJobs = this.#deps.bus.subscribe(JOBS_CHANGED, (notice) => this.#onJob(notice));
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribeJobs?.();
  }

  #onJob(notice: JobChanged): void {
    if (this.#deps.bus.listenerCount(BOARD_EVENTS) === 0) return;
    const runId = notice.type === 'job.run-recorded' ? notice.runId : null;
    // In the queue, after the changes before it (a run's task.created comes first).
    this.#queue = this.#queue
      .then(() => this.#deps.bus.publish(BOARD_EVENTS, { type: 'job.changed', jobId: notice.jobId, runId }))
      .catch((error: unknown) =>
        this.#deps.log.debug({ err: error, jobId: notice.jobId }, 'job event skipped'),
      );
  }

  #onChange(change: GatewayChange): void {
    // Kept whether or not a board listens: a board that connects later asks for them.
    if (change.type === 'task.changed') this.#trackActivity(change);
    if (this.#deps.bus.listenerCount(BOARD_EVENTS) === 0) return;
    this.#queue = this.#queue
      .then(() => this.#eventsOf(change))
      .then((events) => {
        for (const event of events) this.#deps.bus.publish(BOARD_EVENTS, event);
      })
      .catch((error: unknown) =>
        this.#deps.log.debug({ err: error, change: change.type }, 'board event skipped'),
      );
  }

  async #eventsOf(change: GatewayChange): Promise<BoardEvent[]> {
    switch (change.type) {
      case 'task.created':
        return [{ type: 'task.created', task: toTaskView(change.task) }];
      case 'task.changed': {
        const { task } = change;
        const activity = isTerminalTaskStatus(task.status) ? null : (this.#activities.get(task.id) ?? null);
        const updated: BoardEvent = { type: 'task.updated', task: toTaskView(task), activity };
        // Running or not decides whether its viber is busy.
        if (task.status === change.previousStatus) return [updated];
        return [updated, ...(await this.#viberUpdated(task.viberId))];
      }
      case 'viber.changed':
      case 'viber.disconnected':
        return this.#viberUpdated(change.viberId);
      case 'viber.revoked':
        return [{ type: 'viber.revoked', viberId: change.viberId }];
      case 'environment.changed':
        return this.#environmentUpdated(change.environmentId, null);
      case 'environment.removed':
        return [{ type: 'environment.removed', environmentId: change.environmentId }];
      case 'binding.changed':
        return this.#environmentUpdated(change.binding.environmentId, change.binding);
      case 'binding.log-appended':
        // Already redacted by the daemon and again by the gateway before it was stored.
        return [{ type: 'environment.log', bindingId: change.line.bindingId, line: toLogLine(change.line) }];
      case 'device.changed':
        return [{ type: 'devices.changed', deviceId: change.deviceId }];
      case 'channel.changed':
        // A channel, its senders or deliveries (docs/channels.md): the Channels page refetches.
        return [{ type: 'channel.changed', channelId: change.channelId }];
      case 'bus.resynced':
        // Changes of other gateways may have been missed; the board has no event to refetch yet.
        return [];
    }
  }

  /** None for a viber that is gone (revoked): its own event said so. */
  async #viberUpdated(viberId: string): Promise<BoardEvent[]> {
    try {
      return [{ type: 'viber.updated', viber: await this.#deps.vibers.view(viberId) }];
    } catch (error) {
      this.#deps.log.debug({ err: error, viberId }, 'viber event skipped');
      return [];
    }
  }

  /** An environment after a change: `binding` is the binding that changed, null for the environment. */
  async #environmentUpdated(environmentId: string, binding: BindingRecord | null): Promise<BoardEvent[]> {
    const full = await this.#deps.store.getEnvironment(environmentId);
    if (!full) return [];
    return [
      {
        type: 'environment.updated',
        environmentId,
        status: pillOf(full.bindings),
        binding: binding && toBindingView(binding),
      },
    ];
  }

  /** The daemon's latest status detail of a running task, from the progress event that changed it. */
  #trackActivity({ task, cause }: TaskChanged): void {
    const activity = cause && activityOfEvent(cause);
    if (activity) this.#activities.set(task.id, activity);
    if (isTerminalTaskStatus(task.status)) this.#activities.delete(task.id);
  }

  /**
   * What each running task is doing, for a new connection. A task this process has not heard
   * from since it started (a gateway restart) gets its activity from its last stored status event.
   */
  async activities(): Promise<Record<string, TaskActivity>> {
    const running = await this.#deps.store.listTasks({ status: 'running', limit: RUNNING_TASKS_SCAN });
    const result: Record<string, TaskActivity> = {};
    for (const task of running) {
      let activity = this.#activities.get(task.id);
      if (!activity) {
        const events = await this.#deps.store.listLifecycleEvents(task.id);
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
