import type { TasksStore } from '../tasks-store.ts';
import type { SqliteDatabase } from './sqlite-database.ts';
import { enqueueCommand } from './sqlite-outbox.ts';
import { taskFromRow } from './sqlite-rows.ts';

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

/** The task tree on the gateway's SQLite database (docs/delegation.md). */
export function sqliteTaskTree(db: SqliteDatabase): TaskTreeStore {
  const getTask = (id: string) => {
    const row = db.get('SELECT * FROM tasks WHERE id = :id', { id });
    return row ? taskFromRow(row) : null;
  };
  return {
    async listChildTasks(parentTaskId) {
      return db
        .all('SELECT * FROM tasks WHERE parent_task_id = :parentTaskId ORDER BY rowid', { parentTaskId })
        .map(taskFromRow);
    },
    async listLiveDescendants(taskId) {
      // Down the parent links (tasks_by_parent), however deep; the depth limit keeps it short.
      return db
        .all(
          `WITH RECURSIVE tree(id) AS (
            SELECT id FROM tasks WHERE parent_task_id = :taskId
            UNION SELECT tasks.id FROM tasks JOIN tree ON tasks.parent_task_id = tree.id)
          SELECT * FROM tasks WHERE id IN (SELECT id FROM tree) AND status IN ('pending', 'running')
          ORDER BY rowid`,
          { taskId },
        )
        .map(taskFromRow);
    },
    async countTreeChildren(rootTaskId) {
      const row = db.get('SELECT COUNT(*) AS n FROM tasks WHERE root_task_id = :rootTaskId', { rootTaskId });
      return Number(row?.n ?? 0);
    },
    async findDelegatedTask(parentTaskId, requestId) {
      const row = db.get(
        'SELECT * FROM tasks WHERE parent_task_id = :parentTaskId AND delegate_request_id = :requestId',
        { parentTaskId, requestId },
      );
      return row ? taskFromRow(row) : null;
    },
    async noticeChildEnd(childTaskId, decide) {
      return db.transaction(() => {
        const child = getTask(childTaskId);
        if (!child?.parentTaskId || child.parentNotifiedAt !== null) return null;
        if (!['completed', 'error', 'stopped'].includes(child.status)) return null;
        const command = decide(child, getTask(child.parentTaskId));
        const at = new Date().toISOString();
        db.run('UPDATE tasks SET parent_notified_at = :at WHERE id = :id', { at, id: childTaskId });
        if (command) enqueueCommand(db, command);
        return { child: { ...child, parentNotifiedAt: at }, command };
      });
    },
    async listUnnoticedChildEnds(limit) {
      return db
        .all(
          `SELECT * FROM tasks WHERE parent_task_id IS NOT NULL AND parent_notified_at IS NULL
            AND status IN ${TERMINAL} ORDER BY rowid LIMIT :limit`,
          { limit },
        )
        .map(taskFromRow);
    },
  };
}
