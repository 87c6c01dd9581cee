import { isTerminalTaskStatus, type TaskEvent, type ViberInfo } from '../protocol/index.ts';
import type { GatewayCore } from './gateway-context.ts';
import type { TaskRouter } from './task-router.ts';
import { eventPayload, transitionFor } from './task-transitions.ts';
import type { ViberConnection } from './ws/viber-connection.ts';

export const RESTARTED_REASON = 'the viber restarted and no longer has this task';

/**
 * Stores a daemon's task event in the durable log (next seq only; duplicates dropped), applies
 * its state transition, publishes it, and answers with the cumulative `task:ack`.
 */
export async function handleTaskEvent(
  core: GatewayCore,
  router: TaskRouter,
  connection: ViberConnection,
  event: TaskEvent,
): Promise<void> {
  const at = new Date().toISOString();
  const { taskId, seq } = event;
  const result = await core.store.appendTaskEvent(
    connection.viberId,
    { taskId, seq, type: event.type, payload: eventPayload(event), at },
    transitionFor(event, at),
  );
  if (result.outcome === 'not_found' || result.outcome === 'forbidden') {
    connection.log.warn({ taskId, seq, type: event.type }, `task event rejected: ${result.outcome}`);
    connection.send({
      type: 'error',
      code: result.outcome,
      message:
        result.outcome === 'not_found'
          ? `task ${taskId} not found`
          : `task ${taskId} does not belong to this viber`,
    });
    return;
  }
  if (result.outcome === 'gap') {
    connection.log.warn({ taskId, seq, lastSeq: result.lastSeq }, 'task event skips ahead; not stored');
    connection.send({
      type: 'error',
      code: 'conflict',
      message: `task ${taskId}: seq ${seq} skips ahead of ${result.lastSeq}; send from ${result.lastSeq + 1}`,
    });
  }
  if (result.lastSeq > 0) connection.send({ type: 'task:ack', taskId, seq: result.lastSeq });
  if (result.outcome !== 'stored') return;
  core.bus.publish(taskId, { kind: 'event', seq, type: event.type, payload: eventPayload(event) });
  // The daemon started a task the gateway already ended (stopped before delivery was confirmed).
  if (event.type === 'task:started' && result.task && isTerminalTaskStatus(result.task.status)) {
    await router.stopOrphan(taskId);
  }
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
