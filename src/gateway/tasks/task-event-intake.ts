import {
  type DaemonMessage,
  isTerminalTaskStatus,
  type TaskEvent,
  type UnnumberedTaskEvent,
} from '../../protocol/index.ts';
import type { GatewayMetrics } from '../metrics/gateway-metrics.ts';
import type { TasksStore } from '../store/index.ts';
import type { ViberConnection } from '../vibers/viber-connection.ts';
import { numberTaskEvents, toAppend } from './task-event-log.ts';
import type { TaskRouter } from './task-router.ts';

export { toAppend } from './task-event-log.ts';

/** What storing a daemon's task events needs. */
export interface TaskEventDeps {
  store: Pick<TasksStore, 'appendTaskEvents' | 'getTask'>;
  router: Pick<TaskRouter, 'stopOrphan'>;
  /** Counts the events stored. */
  metrics: Pick<GatewayMetrics, 'eventsStored'>;
}

const TASK_EVENT_TYPES: Record<TaskEvent['type'], true> = {
  'task:started': true,
  'task:stream-chunk': true,
  'task:progress': true,
  'task:completed': true,
  'task:error': true,
  'task:stopped': true,
};

export const isTaskEventType = (type: string): type is TaskEvent['type'] =>
  Object.hasOwn(TASK_EVENT_TYPES, type);

export const isTaskEvent = (message: DaemonMessage): message is TaskEvent => isTaskEventType(message.type);

/**
 * Stores a batch of one daemon connection's task events in the durable log in one group commit
 * (next seq only; duplicates dropped; gaps refused), with their state transitions (the store's
 * change feed announces the stored ones), and acknowledges each task's highest stored seq, only
 * after the commit (ViberConnection.acknowledge coalesces the `task:ack`s of a burst). Events the gateway numbered itself (`numberedByDaemon` false) get no ack.
 * `arrivedAt` (performance.now()) is when the batch's first frame arrived: live readers measure
 * the relay latency from it.
 */
export async function handleTaskEvents(
  { store, router, metrics }: TaskEventDeps,
  connection: ViberConnection,
  events: readonly TaskEvent[],
  numberedByDaemon = true,
  arrivedAt?: number,
): Promise<void> {
  const at = new Date().toISOString();
  const batch = events.map((event) => toAppend(event, at, arrivedAt));
  const results = await store.appendTaskEvents(connection.viberId, batch);
  const acks = new Map<string, number>();
  const orphans: string[] = [];
  results.forEach((result, index) => {
    const { taskId, seq, type } = batch[index]!.event;
    if (result.outcome === 'not_found' || result.outcome === 'forbidden') {
      rejectEvent(connection, taskId, seq, type, result.outcome);
      return;
    }
    if (numberedByDaemon) {
      if (result.outcome === 'gap') refuseGap(connection, taskId, seq, result.lastSeq);
      if (result.lastSeq > 0) acks.set(taskId, result.lastSeq);
    } else if (result.outcome !== 'stored') {
      // Numbered from the last seq stored: only another connection of the viber appending to the
      // same task at the same moment gets here.
      connection.log.warn({ taskId, seq, lastSeq: result.lastSeq, type }, 'task event lost in a race');
    }
    if (result.outcome !== 'stored') return;
    metrics.eventsStored += 1;
    // The daemon started a task the gateway already ended (stopped before delivery was confirmed).
    if (type === 'task:started' && result.task && isTerminalTaskStatus(result.task.status)) {
      orphans.push(taskId);
    }
  });
  for (const [taskId, seq] of acks) connection.acknowledge(taskId, seq);
  for (const taskId of orphans) await router.stopOrphan(taskId);
}

/**
 * Stores a batch of task events of a daemon without the `seq` extension (protocol document,
 * section 3): the gateway numbers them itself, each task's after the last seq it has stored, and
 * stores them as it stores numbered ones. No `task:ack`: such a daemon keeps no outbox.
 */
export async function handleUnnumberedTaskEvents(
  deps: TaskEventDeps,
  connection: ViberConnection,
  events: readonly UnnumberedTaskEvent[],
  arrivedAt?: number,
): Promise<void> {
  const numbered = await numberTaskEvents(deps.store, events);
  await handleTaskEvents(deps, connection, numbered, false, arrivedAt);
}

function rejectEvent(
  connection: ViberConnection,
  taskId: string,
  seq: number,
  type: string,
  outcome: 'not_found' | 'forbidden',
): void {
  connection.log.warn({ taskId, seq, type }, `task event rejected: ${outcome}`);
  connection.send({
    type: 'error',
    code: outcome,
    taskId,
    message:
      outcome === 'not_found' ? `task ${taskId} not found` : `task ${taskId} does not belong to this viber`,
  });
}

function refuseGap(connection: ViberConnection, taskId: string, seq: number, lastSeq: number): void {
  connection.log.warn({ taskId, seq, lastSeq }, 'task event skips ahead; not stored');
  connection.send({
    type: 'error',
    code: 'conflict',
    taskId,
    message: `task ${taskId}: seq ${seq} skips ahead of ${lastSeq}; send from ${lastSeq + 1}`,
  });
}
