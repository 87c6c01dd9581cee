import type { TasksStore } from '../tasks-store.ts';
import type { PostgresDatabase } from './postgres-database.ts';
import { enqueueCommands } from './postgres-outbox.ts';
import { taskFromRow } from './postgres-rows.ts';

type TaskTreeStore = Pick<
  TasksStore,
  | 'listChildTasks'
  | 'listLiveDescendants'
  | 'countTreeChildren'
  | 'findDelegatedTask'
  | 'noticeChildEnd'
  | 'listUnnoticedChildEnds'
>;

const TERMINAL = "('completed', 'error', 'stopped')";

/** The task tree on PostgreSQL (docs/delegation.md). */
export function postgresTaskTree(db: PostgresDatabase): TaskTreeStore {
  return {
    async listChildTasks(parentTaskId) {
      const rows = await db.all('SELECT * FROM tasks WHERE parent_task_id = $1 ORDER BY position', [
        parentTaskId,
      ]);
      return rows.map(taskFromRow);
    },
    async listLiveDescendants(taskId) {
      const rows = await db.all(
        `WITH RECURSIVE tree(id) AS (
          SELECT id FROM tasks WHERE parent_task_id = $1
          UNION SELECT tasks.id FROM tasks JOIN tree ON tasks.parent_task_id = tree.id)
        SELECT * FROM tasks WHERE id IN (SELECT id FROM tree) AND status IN ('pending', 'running')
        ORDER BY position`,
        [taskId],
      );
      return rows.map(taskFromRow);
    },
    async countTreeChildren(rootTaskId) {
      const row = await db.get('SELECT count(*) AS n FROM tasks WHERE root_task_id = $1', [rootTaskId]);
      return Number(row?.n ?? 0);
    },
    async findDelegatedTask(parentTaskId, requestId) {
      const row = await db.get('SELECT * FROM tasks WHERE parent_task_id = $1 AND delegate_request_id = $2', [
        parentTaskId,
        requestId,
      ]);
      return row ? taskFromRow(row) : null;
    },
    async noticeChildEnd(childTaskId, decide) {
      return db.transaction(async (tx) => {
        // Locked: two gateways noticing the same end queue it once.
        const row = await tx.get('SELECT * FROM tasks WHERE id = $1 FOR UPDATE', [childTaskId]);
        const child = row ? taskFromRow(row) : null;
        if (!child?.parentTaskId || child.parentNotifiedAt !== null) return null;
        if (!['completed', 'error', 'stopped'].includes(child.status)) return null;
        const parentRow = await tx.get('SELECT * FROM tasks WHERE id = $1', [child.parentTaskId]);
        const command = decide(child, parentRow ? taskFromRow(parentRow) : null);
        const at = new Date().toISOString();
        await tx.run('UPDATE tasks SET parent_notified_at = $2 WHERE id = $1', [childTaskId, at]);
        if (command) await enqueueCommands(tx, [command]);
        return { child: { ...child, parentNotifiedAt: at }, command };
      });
    },
    async listUnnoticedChildEnds(limit) {
      const rows = await db.all(
        `SELECT * FROM tasks WHERE parent_task_id IS NOT NULL AND parent_notified_at IS NULL
          AND status IN ${TERMINAL} ORDER BY position LIMIT $1`,
        [limit],
      );
      return rows.map(taskFromRow);
    },
  };
}
