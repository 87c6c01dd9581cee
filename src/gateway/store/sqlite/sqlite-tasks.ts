import { isTerminalTaskStatus } from '../../../protocol/index.ts';
import type { NewCommand } from '../outbox-store.ts';
import type { StoreChange } from '../store-changes.ts';
import { type Page, pageOf } from '../store-page.ts';
import type {
  AppendResult,
  TaskEventAppend,
  TaskMessageRecord,
  TaskPageKey,
  TaskQuery,
  TaskRecord,
  TasksStore,
} from '../tasks-store.ts';
import type { Params, SqliteDatabase } from './sqlite-database.ts';
import { commandTypesOfTask, dropTaskCommands, enqueueCommand } from './sqlite-outbox.ts';
import {
  applyPatch,
  eventFromRow,
  messageFromRow,
  taskFromRow,
  taskStateParams,
  taskToParams,
} from './sqlite-rows.ts';
import { sqliteTaskTree } from './sqlite-task-tree.ts';

/** A task during a group commit: as read, and as its events so far left it. */
type BatchTask = {
  read: TaskRecord;
  current: TaskRecord;
  /** A transition changed more than the log position: the whole row is written back. */
  transitioned: boolean;
};

const INSERT_TASK = `INSERT INTO tasks (id, viber_id, goal, messages, options, status, error, result, usage,
  stop_requested, last_seq, created_at, updated_at, started_at, ended_at, parent_task_id, root_task_id, depth,
  delegate_request_id) VALUES (:id, :viber_id, :goal, :messages, :options, :status, :error, :result, :usage,
  :stop_requested, :last_seq, :created_at, :updated_at, :started_at, :ended_at, :parent_task_id, :root_task_id,
  :depth, :delegate_request_id)`;
const UPDATE_TASK = `UPDATE tasks SET status = :status, error = :error, result = :result, usage = :usage,
  stop_requested = :stop_requested, last_seq = :last_seq, updated_at = :updated_at, started_at = :started_at,
  ended_at = :ended_at WHERE id = :id`;
// Positional, not named: binding an object's keys cost a microsecond of every stored chunk.
const INSERT_EVENT = `INSERT INTO task_events (task_id, seq, type, payload, at, chunk_type)
  VALUES (?, ?, ?, ?, ?, ?)`;
const ADVANCE_TASK = 'UPDATE tasks SET last_seq = ?, updated_at = ? WHERE id = ?';
const STREAM_CHUNK = 'task:stream-chunk';

/** A new task and its `task:submit`, inside the caller's transaction (insertTask; a job's run). */
export function writeNewTask(
  db: SqliteDatabase,
  task: TaskRecord,
  submit: NewCommand,
  changes: StoreChange[],
): void {
  db.run(INSERT_TASK, taskToParams(task));
  enqueueCommand(db, submit);
  changes.push({ type: 'task.created', task });
}

/** Tasks, their stream log and their follow-up messages on the gateway's database. */
export function sqliteTasks(db: SqliteDatabase): TasksStore {
  const getTask = (id: string): TaskRecord | null => {
    const row = db.get('SELECT * FROM tasks WHERE id = :id', { id });
    return row ? taskFromRow(row) : null;
  };

  /** A page of tasks, newest first (TasksStore.taskPage). */
  const taskPage = (query: TaskQuery): Page<TaskRecord, TaskPageKey> => {
    // The key is the rowid, the order tasks were inserted in. One statement per combination of
    // conditions, so each is a range on an index ending in the rowid: tasks_by_viber,
    // tasks_by_status, tasks_by_viber_status, tasks_by_environment.
    const where: string[] = [];
    const params: Params = { limit: query.limit + 1 };
    if (query.after) {
      where.push('rowid < :after');
      params.after = query.after[0];
    }
    if (query.environmentId !== undefined) {
      where.push("json_extract(options, '$.environmentId') = :environmentId");
      params.environmentId = query.environmentId;
    }
    if (query.viberId !== undefined) {
      where.push('viber_id = :viberId');
      params.viberId = query.viberId;
    }
    if (query.status !== undefined) {
      where.push('status = :status');
      params.status = query.status;
    }
    const rows = db.all(
      `SELECT rowid AS page_position, * FROM tasks ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY rowid DESC LIMIT :limit`,
      params,
    );
    return pageOf(rows, query.limit, taskFromRow, (row) => [row.page_position as number] as const);
  };

  /** One event of a group commit, under the rules of appendTaskEvents. */
  const appendOne = (
    viberId: string,
    entry: BatchTask | null,
    { event, transition }: TaskEventAppend,
    changes: StoreChange[],
  ): AppendResult => {
    if (!entry) return { outcome: 'not_found', lastSeq: 0, task: null };
    const task = entry.current;
    if (task.viberId !== viberId) return { outcome: 'forbidden', lastSeq: 0, task: null };
    if (event.seq <= task.lastSeq) return { outcome: 'duplicate', lastSeq: task.lastSeq, task };
    if (event.seq > task.lastSeq + 1) return { outcome: 'gap', lastSeq: task.lastSeq, task };
    db.runValues(
      INSERT_EVENT,
      event.taskId,
      event.seq,
      event.type,
      event.payload,
      event.at,
      event.type === STREAM_CHUNK ? (event.chunkType ?? null) : null,
    );
    const patch = transition(task);
    if (patch) entry.transitioned = true;
    const next = applyPatch(task, { ...patch }, event.at);
    next.lastSeq = event.seq;
    if (!isTerminalTaskStatus(task.status) && isTerminalTaskStatus(next.status)) {
      dropTaskCommands(db, task.id, 'all');
    }
    entry.current = next;
    changes.push({ type: 'task.event-appended', event });
    // A chunk only advances the log; any other event is a change of the task the board shows.
    if (event.type !== STREAM_CHUNK) {
      changes.push({ type: 'task.changed', task: next, previousStatus: task.status, cause: event });
    }
    return { outcome: 'stored', lastSeq: event.seq, task: next };
  };

  const insertMessage = (message: TaskMessageRecord): void => {
    db.run(
      `INSERT INTO task_messages (id, task_id, message, injection_mode, created_at, delivered_at)
        VALUES (:id, :taskId, :message, :injectionMode, :createdAt, :deliveredAt)`,
      { ...message },
    );
  };

  return {
    ...sqliteTaskTree(db),
    async insertTask(task, submit) {
      db.transaction((changes) => writeNewTask(db, task, submit, changes));
    },
    async getTask(id) {
      return getTask(id);
    },
    async listTasks(filter) {
      return taskPage(filter).items;
    },
    async taskPage(query) {
      return taskPage(query);
    },
    async countTasks() {
      return db.get('SELECT COUNT(*) AS n FROM tasks')!.n as number;
    },
    async countTasksByStatus() {
      const rows = db.all('SELECT status, COUNT(*) AS n FROM tasks GROUP BY status');
      return Object.fromEntries(rows.map((row) => [row.status as string, row.n as number]));
    },
    async listTasksOfViber(viberId, statuses) {
      return db
        .all(
          `SELECT * FROM tasks WHERE viber_id = :viberId
          AND status IN (SELECT value FROM json_each(:statuses)) ORDER BY rowid`,
          { viberId, statuses: JSON.stringify(statuses) },
        )
        .map(taskFromRow);
    },
    async countRunningTasksByViber() {
      const rows = db.all(
        "SELECT viber_id, COUNT(*) AS n FROM tasks WHERE status = 'running' GROUP BY viber_id",
      );
      return new Map(rows.map((row) => [row.viber_id as string, row.n as number]));
    },
    async listVibersWithRunningTasks() {
      return db
        .all("SELECT DISTINCT viber_id FROM tasks WHERE status = 'running'")
        .map((row) => row.viber_id as string);
    },
    async countLiveTasksOfEnvironment(environmentId) {
      const row = db.get(
        `SELECT COUNT(*) AS n FROM tasks WHERE json_extract(options, '$.environmentId') = :environmentId
          AND status IN ('pending', 'running')`,
        { environmentId },
      );
      return Number(row?.n ?? 0);
    },

    async updateTask(id, decide) {
      return db.transaction((changes) => {
        const task = getTask(id);
        if (!task) return null;
        const update = decide(task, { types: commandTypesOfTask(db, id) });
        if (!update) return { task, update };
        const next = update.patch ? applyPatch(task, update.patch, new Date().toISOString()) : task;
        if (update.patch) db.run(UPDATE_TASK, taskStateParams(next));
        if (update.dropCommands) dropTaskCommands(db, id, update.dropCommands);
        if (update.message) insertMessage(update.message);
        if (update.enqueue) enqueueCommand(db, update.enqueue);
        if (update.patch) changes.push({ type: 'task.changed', task: next, previousStatus: task.status });
        return { task: next, update };
      });
    },

    async appendTaskEvents(viberId, batch) {
      if (batch.length === 0) return [];
      return db.transaction((changes) => {
        // Each task is read once and written once per batch; the events see it as their predecessors left it.
        const tasks = new Map<string, BatchTask | null>();
        const results = batch.map((append) => {
          let entry = tasks.get(append.event.taskId);
          if (entry === undefined) {
            const task = getTask(append.event.taskId);
            entry = task ? { read: task, current: task, transitioned: false } : null;
            tasks.set(append.event.taskId, entry);
          }
          return appendOne(viberId, entry, append, changes);
        });
        for (const entry of tasks.values()) {
          if (!entry || entry.current === entry.read) continue;
          const { id, lastSeq, updatedAt } = entry.current;
          // Stream chunks only move the log on: two columns, not the whole row with its JSON.
          if (entry.transitioned) db.run(UPDATE_TASK, taskStateParams(entry.current));
          else db.runValues(ADVANCE_TASK, lastSeq, updatedAt, id);
        }
        return results;
      });
    },
    async readTaskLog(taskId, afterSeq, limit) {
      return db
        .all(
          'SELECT * FROM task_events WHERE task_id = :taskId AND seq > :afterSeq ORDER BY seq LIMIT :limit',
          {
            taskId,
            afterSeq,
            limit,
          },
        )
        .map(eventFromRow);
    },
    async listLifecycleEvents(taskId) {
      return db
        .all(`SELECT * FROM task_events WHERE task_id = :taskId AND type != '${STREAM_CHUNK}' ORDER BY seq`, {
          taskId,
        })
        .map(eventFromRow);
    },
    async hasStreamChunkOfType(taskId, chunkType) {
      // The chunk_type column, never json_extract: SQLite refuses JSON nested deeper than 1,000
      // levels, and one such chunk made this throw, so a failed task's stream never ended.
      const row = db.get(
        'SELECT 1 AS found FROM task_events WHERE task_id = :taskId AND chunk_type = :chunkType LIMIT 1',
        { taskId, chunkType },
      );
      return row !== undefined;
    },

    async listTaskMessages(taskId) {
      return db
        .all('SELECT * FROM task_messages WHERE task_id = :taskId ORDER BY rowid', { taskId })
        .map(messageFromRow);
    },
  };
}
