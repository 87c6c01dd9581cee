import type { TaskStatus } from '../../../protocol/index.ts';
import type { NewCommand } from '../outbox-store.ts';
import type { StoreChange } from '../store-changes.ts';
import { type Page, pageOf } from '../store-page.ts';
import type { TaskPageKey, TaskQuery, TaskRecord, TasksStore } from '../tasks-store.ts';
import type { PostgresDatabase, Statements } from './postgres-database.ts';
import { commandTypesOfTask, dropTaskCommands, enqueueCommands } from './postgres-outbox.ts';
import {
  eventFromRow,
  messageFromRow,
  TASK_COLUMNS,
  taskFromRow,
  taskStateValues,
  taskValues,
  UPDATE_TASK,
} from './postgres-rows.ts';
import { appendTaskEvents, readTaskLog } from './postgres-task-log.ts';
import { postgresTaskTree } from './postgres-task-tree.ts';

const INSERT_TASK = `INSERT INTO tasks (${TASK_COLUMNS.join(', ')})
  VALUES (${TASK_COLUMNS.map((_, index) => `$${index + 1}`).join(', ')})`;

/** A new task and its `task:submit`, inside the caller's transaction (insertTask; a job's run). */
export async function writeNewTask(
  tx: Statements,
  task: TaskRecord,
  submit: NewCommand,
  changes: StoreChange[],
): Promise<void> {
  await tx.run(INSERT_TASK, taskValues(task));
  await enqueueCommands(tx, [submit]);
  changes.push({ type: 'task.created', task });
}

/** Tasks and their follow-up messages on PostgreSQL; the stream log is postgres-task-log.ts. */
export function postgresTasks(db: PostgresDatabase): TasksStore {
  /** A page of tasks, newest first (TasksStore.taskPage); the key is the task's insertion position. */
  const taskPage = async (query: TaskQuery): Promise<Page<TaskRecord, TaskPageKey>> => {
    const where: string[] = [];
    const values: unknown[] = [query.limit + 1];
    const condition = (sql: string, value: unknown) => {
      values.push(value);
      where.push(sql.replace('?', `$${values.length}`));
    };
    if (query.after) condition('position < ?', query.after[0]);
    if (query.environmentId !== undefined) condition('environment_id = ?', query.environmentId);
    if (query.viberId !== undefined) condition('viber_id = ?', query.viberId);
    if (query.status !== undefined) condition('status = ?', query.status);
    const rows = await db.all(
      `SELECT * FROM tasks ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY position DESC LIMIT $1`,
      values,
    );
    return pageOf(rows, query.limit, taskFromRow, (row) => [Number(row.position)] as const);
  };

  const lockTask = async (tx: Statements, id: string): Promise<TaskRecord | null> => {
    const row = await tx.get('SELECT * FROM tasks WHERE id = $1 FOR UPDATE', [id]);
    return row ? taskFromRow(row) : null;
  };

  return {
    ...postgresTaskTree(db),
    async insertTask(task, submit) {
      await db.transaction((tx, changes) => writeNewTask(tx, task, submit, changes));
    },
    async getTask(id) {
      const row = await db.get('SELECT * FROM tasks WHERE id = $1', [id]);
      return row ? taskFromRow(row) : null;
    },
    async listTasks(filter) {
      return (await taskPage(filter)).items;
    },
    taskPage,
    async countTasks() {
      return Number((await db.get('SELECT count(*) AS n FROM tasks'))!.n);
    },
    async countTasksByStatus() {
      const rows = await db.all('SELECT status, count(*) AS n FROM tasks GROUP BY status');
      return Object.fromEntries(rows.map((row) => [row.status as string, Number(row.n)]));
    },
    async listTasksOfViber(viberId, statuses: readonly TaskStatus[]) {
      const rows = await db.all(
        'SELECT * FROM tasks WHERE viber_id = $1 AND status = ANY($2::text[]) ORDER BY position',
        [viberId, [...statuses]],
      );
      return rows.map(taskFromRow);
    },
    async countRunningTasksByViber() {
      const rows = await db.all(
        "SELECT viber_id, count(*) AS n FROM tasks WHERE status = 'running' GROUP BY viber_id",
      );
      return new Map(rows.map((row) => [row.viber_id as string, Number(row.n)]));
    },
    async listVibersWithRunningTasks() {
      const rows = await db.all("SELECT DISTINCT viber_id FROM tasks WHERE status = 'running'");
      return rows.map((row) => row.viber_id as string);
    },
    async countLiveTasksOfEnvironment(environmentId) {
      const row = await db.get(
        "SELECT count(*) AS n FROM tasks WHERE environment_id = $1 AND status IN ('pending', 'running')",
        [environmentId],
      );
      return Number(row?.n ?? 0);
    },

    async updateTask(id, decide) {
      return db.transaction(async (tx, changes) => {
        // Locked before decide reads it: another gateway's update of this task waits for the commit.
        const task = await lockTask(tx, id);
        if (!task) return null;
        const update = decide(task, { types: await commandTypesOfTask(tx, id) });
        if (!update) return { task, update };
        const next = update.patch ? { ...task, ...update.patch, updatedAt: new Date().toISOString() } : task;
        if (update.patch) await tx.run(UPDATE_TASK, taskStateValues(next));
        if (update.dropCommands) await dropTaskCommands(tx, [id], update.dropCommands);
        if (update.message) {
          const message = update.message;
          await tx.run(
            `INSERT INTO task_messages (id, task_id, message, injection_mode, created_at, delivered_at)
              VALUES ($1, $2, $3, $4, $5, $6)`,
            [
              message.id,
              message.taskId,
              message.message,
              message.injectionMode,
              message.createdAt,
              message.deliveredAt,
            ],
          );
        }
        if (update.enqueue) await enqueueCommands(tx, [update.enqueue]);
        if (update.patch) changes.push({ type: 'task.changed', task: next, previousStatus: task.status });
        return { task: next, update };
      });
    },

    async appendTaskEvents(viberId, batch) {
      if (batch.length === 0) return [];
      return db.transaction((tx, changes) => appendTaskEvents(tx, viberId, batch, changes));
    },
    async readTaskLog(taskId, afterSeq, limit) {
      return readTaskLog(db, taskId, afterSeq, limit);
    },
    async listLifecycleEvents(taskId) {
      const rows = await db.all(
        "SELECT * FROM task_events WHERE task_id = $1 AND type <> 'task:stream-chunk' ORDER BY seq",
        [taskId],
      );
      return rows.map(eventFromRow);
    },
    async hasStreamChunkOfType(taskId, chunkType) {
      const row = await db.get(
        'SELECT 1 AS found FROM task_events WHERE task_id = $1 AND chunk_type = $2 LIMIT 1',
        [taskId, chunkType],
      );
      return row !== undefined;
    },

    async listTaskMessages(taskId) {
      const rows = await db.all('SELECT * FROM task_messages WHERE task_id = $1 ORDER BY position', [taskId]);
      return rows.map(messageFromRow);
    },
  };
}
