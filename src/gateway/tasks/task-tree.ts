import type { TaskLink } from '../../protocol/index.ts';
import type { GatewayStore, TaskRecord } from '../store/index.ts';
import { toTaskLink } from './task-views.ts';

type TreeStore = Pick<GatewayStore, 'getTask' | 'listChildTasks' | 'getViber'>;

/**
 * A task's place in its tree for `GET /api/tasks/:id` (docs/delegation.md): its parent, and every
 * task below it, depth first, oldest first within each parent. A tree is small (the gateway refuses
 * more than MAX_TREE_CHILDREN delegated tasks per tree), so this reads it one parent at a time.
 */
export async function readTaskTree(
  store: TreeStore,
  task: TaskRecord,
): Promise<{ parent: TaskLink | null; children: TaskLink[] }> {
  const names = new Map<string, string | null>();
  const nameOf = async (viberId: string) => {
    if (!names.has(viberId)) names.set(viberId, (await store.getViber(viberId))?.name ?? null);
    return names.get(viberId)!;
  };
  const parentRecord = task.parentTaskId ? await store.getTask(task.parentTaskId) : null;
  const parent = parentRecord ? toTaskLink(parentRecord, await nameOf(parentRecord.viberId)) : null;
  const children: TaskLink[] = [];
  const seen = new Set<string>([task.id]);
  const walk = async (id: string) => {
    for (const child of await store.listChildTasks(id)) {
      if (seen.has(child.id)) continue; // never loops, even on a hand-edited database
      seen.add(child.id);
      children.push(toTaskLink(child, await nameOf(child.viberId)));
      await walk(child.id);
    }
  };
  await walk(task.id);
  return { parent, children };
}
