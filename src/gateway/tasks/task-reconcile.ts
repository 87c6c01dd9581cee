import type { ViberInfo } from '../../protocol/index.ts';
import type { TasksStore } from '../store/index.ts';
import type { TaskRouter } from './task-router.ts';

export const RESTARTED_REASON = 'the viber restarted and no longer has this task';

/**
 * After `connected`: a task the gateway thinks is live but the daemon no longer has ends in
 * error (a pending task whose submit is still in the outbox is about to be delivered: it stays);
 * a task the gateway stopped or failed but the daemon still runs is told to stop.
 */
export async function reconcileViber(
  { store, router }: { store: Pick<TasksStore, 'listTasksOfViber' | 'getTask'>; router: TaskRouter },
  viberId: string,
  info: ViberInfo,
): Promise<void> {
  const reported = new Set(info.runningTasks);
  const live = await store.listTasksOfViber(viberId, ['pending', 'running']);
  for (const task of live) {
    if (reported.has(task.id)) continue;
    await router.endTask(
      task.id,
      RESTARTED_REASON,
      (current, outbox) => current.status === 'running' || !outbox.types.has('task:submit'),
    );
  }
  for (const taskId of reported) {
    const task = await store.getTask(taskId);
    if (task?.viberId === viberId && (task.status === 'stopped' || task.status === 'error')) {
      await router.stopOrphan(taskId);
    }
  }
}
