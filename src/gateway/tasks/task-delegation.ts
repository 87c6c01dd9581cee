import { OpenViberError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import {
  type AutonomyMode,
  type DaemonMessage,
  isTerminalTaskStatus,
  MAX_DELEGATION_DEPTH,
  MAX_TREE_CHILDREN,
  type TaskBudget,
  type TaskOptions,
} from '../../protocol/index.ts';
import { CHANGES } from '../bus/gateway-topics.ts';
import type { TopicBus } from '../bus/topic-bus.ts';
import type { GatewayMetrics } from '../metrics/gateway-metrics.ts';
import type { GatewayStore, TaskRecord } from '../store/index.ts';
import type { ConnectionRegistry } from '../vibers/connection-registry.ts';
import type { ViberConnection } from '../vibers/viber-connection.ts';
import { childOutcomeOf } from './child-outcome.ts';
import { DelegationRefusal } from './delegation-refusal.ts';
import { chooseDelegationTarget } from './delegation-target.ts';
import { outboxCommand, type TaskRouter } from './task-router.ts';

type DelegateRequest = Extract<DaemonMessage, { type: 'task:delegate' }>;

export interface TaskDelegationDeps {
  store: GatewayStore;
  bus: TopicBus;
  router: TaskRouter;
  connections: ConnectionRegistry;
  /** Counts children started and refusals by reason (`openviber_delegations_total`). */
  metrics: Pick<GatewayMetrics, 'delegationsStarted' | 'delegationRefused'>;
  log: Logger;
}

/** Least autonomous first: a child takes the lesser of its parent's mode and the one asked for. */
const AUTONOMY: readonly AutonomyMode[] = ['always-ask', 'agent-decides', 'always-execute'];
const lesser = (...modes: AutonomyMode[]): AutonomyMode =>
  AUTONOMY[Math.min(...modes.map((mode) => AUTONOMY.indexOf(mode)))]!;

const SWEEP_PAGE = 100;

/**
 * Delegation on the gateway (docs/delegation.md): a running task's `task:delegate` starts a child
 * task (checked, clamped, at most once per delegate call), a child's end is queued for its parent
 * through the durable outbox, and a task that is stopped or fails stops the tasks below it.
 */
export class TaskDelegation {
  readonly #deps: TaskDelegationDeps;
  readonly #log: Logger;

  constructor(deps: TaskDelegationDeps) {
    this.#deps = deps;
    this.#log = deps.log.child({ component: 'delegation' });
  }

  /** Listens for tasks ending, and queues the ends a stopped gateway left unnoticed. */
  start(): void {
    this.#deps.bus.subscribe(CHANGES, (change) => {
      if (change.type === 'bus.resynced') {
        void this.sweep();
        return;
      }
      if (change.type !== 'task.changed') return;
      const { task, previousStatus } = change;
      if (!isTerminalTaskStatus(task.status) || isTerminalTaskStatus(previousStatus)) return;
      if (task.parentTaskId) void this.#noticeEnd(task.id);
      // A task that was stopped or failed cannot use what its children do: they stop too. One
      // that completed leaves the children it did not wait for running (their ends are recorded).
      if (task.status !== 'completed') {
        this.#deps.router
          .stopDescendants(task.id)
          .catch((error: unknown) =>
            this.#log.error({ err: error, taskId: task.id }, 'stopping the tasks below failed'),
          );
      }
    });
    void this.sweep();
  }

  /** Queues every finished child's end not yet queued (after a restart, or a lost bus message). */
  async sweep(): Promise<void> {
    try {
      for (;;) {
        const ended = await this.#deps.store.listUnnoticedChildEnds(SWEEP_PAGE);
        for (const child of ended) await this.#noticeEnd(child.id);
        if (ended.length < SWEEP_PAGE) return;
      }
    } catch (error) {
      this.#log.error({ err: error }, 'queueing the ends of child tasks failed');
    }
  }

  /** A daemon's `task:delegate`: answered at once with the child, or with why not. */
  async handleRequest(connection: ViberConnection, request: DelegateRequest): Promise<void> {
    const { requestId, taskId } = request;
    try {
      const { child, viberName, started } = await this.#delegate(connection.viberId, request);
      if (started) this.#deps.metrics.delegationsStarted += 1;
      connection.send({
        type: 'task:delegated',
        requestId,
        taskId,
        childTaskId: child.id,
        viberId: child.viberId,
        viberName,
        mode: child.options.mode ?? 'always-ask',
      });
    } catch (error) {
      const known = error instanceof OpenViberError;
      const reason = error instanceof DelegationRefusal ? error.reason : 'other';
      this.#deps.metrics.delegationRefused(reason);
      if (!known) this.#log.error({ err: error, taskId, requestId }, 'delegation failed');
      else
        this.#log.info(
          { taskId, requestId, code: error.code, reason },
          `delegation refused: ${error.message}`,
        );
      connection.send({
        type: 'task:delegate-refused',
        requestId,
        taskId,
        code: known ? error.code : 'internal',
        message: known ? error.message : 'the gateway could not start the child task',
      });
    }
  }

  async #delegate(
    viberId: string,
    request: DelegateRequest,
  ): Promise<{ child: TaskRecord; viberName: string; started: boolean }> {
    const { store, router } = this.#deps;
    const parent = await store.getTask(request.taskId);
    if (!parent) throw new DelegationRefusal('parent', 'not_found', `task ${request.taskId} not found`);
    if (parent.viberId !== viberId) {
      throw new DelegationRefusal('parent', 'forbidden', `task ${parent.id} does not belong to this viber`);
    }
    // The same delegate call again (a reconnect, a retry): the child it already started.
    const existing = await store.findDelegatedTask(parent.id, request.requestId);
    if (existing) {
      return { child: existing, viberName: await this.#viberName(existing.viberId), started: false };
    }
    if (parent.status !== 'running') {
      throw new DelegationRefusal(
        'parent',
        'task_finished',
        `task ${parent.id} is ${parent.status}, not running`,
      );
    }
    const depth = parent.depth + 1;
    if (depth > MAX_DELEGATION_DEPTH) {
      throw new DelegationRefusal(
        'depth',
        'conflict',
        `delegation refused: task ${parent.id} is at depth ${parent.depth} and a tree of tasks may be at most ${MAX_DELEGATION_DEPTH} deep; do this part yourself`,
      );
    }
    const rootTaskId = parent.rootTaskId ?? parent.id;
    const children = await store.countTreeChildren(rootTaskId);
    if (children >= MAX_TREE_CHILDREN) {
      throw new DelegationRefusal(
        'tree_size',
        'conflict',
        `delegation refused: the tree of task ${rootTaskId} already holds ${children} delegated tasks, the limit; do this part yourself`,
      );
    }
    const target = await chooseDelegationTarget(this.#deps, parent, request);
    const options: TaskOptions = {
      mode: lesser(
        request.mode ?? request.parentMode,
        request.parentMode,
        parent.options.mode ?? request.parentMode,
      ),
      ...(target.environmentId ? { environmentId: target.environmentId } : {}),
    };
    const budget = remainingBudget(parent, request.budget);
    if (budget) options.budget = budget;
    const place = { parentTaskId: parent.id, rootTaskId, depth, delegateRequestId: request.requestId };
    let child: TaskRecord;
    try {
      child = await router.createTask({ goal: request.goal, viberId: target.viber.id, options }, place);
    } catch (error) {
      // Another gateway took the same call at the same moment: the unique index kept one child.
      const raced = await store.findDelegatedTask(parent.id, request.requestId);
      if (!raced) throw error;
      return { child: raced, viberName: target.viber.name, started: false };
    }
    this.#log.info(
      { taskId: parent.id, childTaskId: child.id, viberId: child.viberId, depth, mode: options.mode },
      'child task delegated',
    );
    return { child, viberName: target.viber.name, started: true };
  }

  async #viberName(viberId: string): Promise<string> {
    return (await this.#deps.store.getViber(viberId))?.name ?? viberId;
  }

  /** A finished child's end, queued for its parent once (nothing when the parent has ended). */
  async #noticeEnd(childTaskId: string): Promise<void> {
    const { store, router } = this.#deps;
    try {
      const child = await store.getTask(childTaskId);
      if (!child?.parentTaskId || child.parentNotifiedAt) return;
      const outcome = await childOutcomeOf(store, child);
      const noticed = await store.noticeChildEnd(childTaskId, (_current, parent) =>
        parent && !isTerminalTaskStatus(parent.status)
          ? outboxCommand(parent.viberId, { type: 'task:child-ended', taskId: parent.id, ...outcome })
          : null,
      );
      if (!noticed) return;
      this.#log.info(
        { taskId: child.parentTaskId, childTaskId, status: child.status, queued: noticed.command !== null },
        "child task's end queued for its parent",
      );
      if (noticed.command) router.sendQueued(noticed.command);
    } catch (error) {
      this.#log.error({ err: error, childTaskId }, "queueing a child task's end failed");
    }
  }
}

/**
 * What the child may spend: what its parent's daemon says is left, and no more than what is left
 * of a budget the parent's own options set.
 */
function remainingBudget(parent: TaskRecord, asked: TaskBudget | undefined): TaskBudget | undefined {
  const own = parent.options.budget;
  const left = (limit: number | undefined, used: number | undefined) =>
    limit === undefined ? undefined : Math.max(0, limit - (used ?? 0));
  const tokens = min(asked?.tokens, left(own?.tokens, parent.usage?.totalTokens));
  const costUsd = min(asked?.costUsd, left(own?.costUsd, parent.usage?.costUsd));
  if (tokens === undefined && costUsd === undefined) return undefined;
  return {
    ...(tokens !== undefined ? { tokens: Math.floor(tokens) } : {}),
    ...(costUsd !== undefined ? { costUsd } : {}),
  };
}

function min(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}
