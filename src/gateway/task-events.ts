import {
  type DaemonMessage,
  isTerminalTaskStatus,
  type TaskEvent,
  type ViberInfo,
} from '../protocol/index.ts';
import type { GatewayCore } from './gateway-context.ts';
import type { TaskEventAppend } from './store/gateway-store.ts';
import type { TaskRouter } from './task-router.ts';
import { eventPayload, transitionFor } from './task-transitions.ts';
import type { ViberConnection } from './ws/viber-connection.ts';

export const RESTARTED_REASON = 'the viber restarted and no longer has this task';

const TASK_EVENT_TYPES: Record<TaskEvent['type'], true> = {
  'task:started': true,
  'task:stream-chunk': true,
  'task:progress': true,
  'task:completed': true,
  'task:error': true,
  'task:stopped': true,
};

export const isTaskEvent = (message: DaemonMessage): message is TaskEvent =>
  Object.hasOwn(TASK_EVENT_TYPES, message.type);

/**
 * Stores a batch of one daemon connection's task events in the durable log in one group commit
 * (next seq only; duplicates dropped; gaps refused), with their state transitions, then publishes
 * the stored ones in order and answers one cumulative `task:ack` per task, only after the commit.
 */
export async function handleTaskEvents(
  core: GatewayCore,
  router: TaskRouter,
  connection: ViberConnection,
  events: readonly TaskEvent[],
): Promise<void> {
  const at = new Date().toISOString();
  const batch = events.map((event) => toAppend(event, at));
  const results = await core.store.appendTaskEvents(connection.viberId, batch);
  const acks = new Map<string, number>();
  const orphans: string[] = [];
  results.forEach((result, index) => {
    const { taskId, seq, type, payload } = batch[index]!.event;
    if (result.outcome === 'not_found' || result.outcome === 'forbidden') {
      rejectEvent(connection, taskId, seq, type, result.outcome);
      return;
    }
    if (result.outcome === 'gap') refuseGap(connection, taskId, seq, result.lastSeq);
    if (result.lastSeq > 0) acks.set(taskId, result.lastSeq);
    if (result.outcome !== 'stored') return;
    core.bus.publish(taskId, { kind: 'event', seq, type, payload });
    // The daemon started a task the gateway already ended (stopped before delivery was confirmed).
    if (type === 'task:started' && result.task && isTerminalTaskStatus(result.task.status)) {
      orphans.push(taskId);
    }
  });
  for (const [taskId, seq] of acks) connection.send({ type: 'task:ack', taskId, seq });
  for (const taskId of orphans) await router.stopOrphan(taskId);
}

/** What the store appends for a daemon's event: its log row and the state transition it drives. */
export function toAppend(event: TaskEvent, at: string): TaskEventAppend {
  return {
    event: {
      taskId: event.taskId,
      seq: event.seq,
      type: event.type,
      payload: eventPayload(event),
      at,
      // Known here without parsing anything: the store keeps it so it never parses payloads.
      chunkType: event.type === 'task:stream-chunk' ? event.chunk.type : null,
    },
    transition: transitionFor(event, at),
  };
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

/**
 * After `connected`: a task the gateway thinks is live but the daemon no longer has ends in
 * error (a pending task whose submit is still in the outbox is about to be delivered: it stays);
 * a task the gateway stopped or failed but the daemon still runs is told to stop.
 */
export async function reconcileViber(
  core: GatewayCore,
  router: TaskRouter,
  viberId: string,
  info: ViberInfo,
) {
  const reported = new Set(info.runningTasks);
  const live = await core.store.listTasksOfViber(viberId, ['pending', 'running']);
  for (const task of live) {
    if (reported.has(task.id)) continue;
    await router.endTask(
      task.id,
      RESTARTED_REASON,
      (current, outbox) => current.status === 'running' || !outbox.types.has('task:submit'),
    );
  }
  for (const taskId of reported) {
    const task = await core.store.getTask(taskId);
    if (task?.viberId === viberId && (task.status === 'stopped' || task.status === 'error')) {
      await router.stopOrphan(taskId);
    }
  }
}
