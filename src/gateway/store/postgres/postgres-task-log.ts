import { isTerminalTaskStatus } from '../../../protocol/index.ts';
import type { StoreChange } from '../store-changes.ts';
import type { AppendResult, TaskEventAppend, TaskEventRecord, TaskRecord } from '../tasks-store.ts';
import type { Statements } from './postgres-database.ts';
import { dropTaskCommands } from './postgres-outbox.ts';
import { eventFromRow, taskFromRow, taskStateValues, UPDATE_TASK } from './postgres-rows.ts';

// The per-task stream log: a group commit of a daemon's task events in a few statements whatever
// its size (the tasks locked in one, the events inserted and the log positions moved in one),
// under the rules of TasksStore.appendTaskEvents.

/** A task during a group commit: as read, and as its events so far left it. */
type BatchTask = {
  read: TaskRecord;
  current: TaskRecord;
  /** A transition changed more than the log position: the whole state is written back. */
  transitioned: boolean;
};

const STREAM_CHUNK = 'task:stream-chunk';

// The events of the batch in one INSERT, and the tasks whose log only moved on in one UPDATE.
const INSERT_EVENTS_AND_ADVANCE = `WITH inserted AS (
    INSERT INTO task_events (task_id, seq, type, payload, at, chunk_type)
    SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[])
  )
  UPDATE tasks SET last_seq = moved.last_seq, updated_at = moved.updated_at
  FROM unnest($7::text[], $8::int[], $9::text[]) AS moved (id, last_seq, updated_at)
  WHERE tasks.id = moved.id`;

/**
 * Appends the batch inside the caller's transaction. The batch's tasks are locked first (in id
 * order, so two group commits never deadlock), which is what keeps each task's log gap-free and
 * free of duplicates when several gateways or connections append at once: the second waits, then
 * reads the seq the first committed. The rules then run in memory, event by event, and the rows go
 * out in two statements; a transition that throws aborts the whole batch before anything is written.
 */
export async function appendTaskEvents(
  tx: Statements,
  viberId: string,
  batch: readonly TaskEventAppend[],
  changes: StoreChange[],
): Promise<AppendResult[]> {
  const ids = [...new Set(batch.map((append) => append.event.taskId))].sort();
  const rows = await tx.all('SELECT * FROM tasks WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE', [ids]);
  const tasks = new Map<string, BatchTask>();
  for (const row of rows) {
    const task = taskFromRow(row);
    tasks.set(task.id, { read: task, current: task, transitioned: false });
  }
  const stored: TaskEventRecord[] = [];
  const ended: string[] = [];
  const results = batch.map(({ event, transition }): AppendResult => {
    const entry = tasks.get(event.taskId);
    if (!entry) return { outcome: 'not_found', lastSeq: 0, task: null };
    const task = entry.current;
    if (task.viberId !== viberId) return { outcome: 'forbidden', lastSeq: 0, task: null };
    if (event.seq <= task.lastSeq) return { outcome: 'duplicate', lastSeq: task.lastSeq, task };
    if (event.seq > task.lastSeq + 1) return { outcome: 'gap', lastSeq: task.lastSeq, task };
    stored.push(event);
    const patch = transition(task);
    if (patch) entry.transitioned = true;
    const next: TaskRecord = { ...task, ...patch, updatedAt: event.at, lastSeq: event.seq };
    if (!isTerminalTaskStatus(task.status) && isTerminalTaskStatus(next.status)) ended.push(task.id);
    entry.current = next;
    changes.push({ type: 'task.event-appended', event });
    // A chunk only advances the log; any other event is a change of the task the board shows.
    if (event.type !== STREAM_CHUNK) {
      changes.push({ type: 'task.changed', task: next, previousStatus: task.status, cause: event });
    }
    return { outcome: 'stored', lastSeq: event.seq, task: next };
  });
  if (stored.length === 0) return results;

  const moved = [...tasks.values()].filter((entry) => entry.current !== entry.read && !entry.transitioned);
  await tx.run(INSERT_EVENTS_AND_ADVANCE, [
    stored.map((event) => event.taskId),
    stored.map((event) => event.seq),
    stored.map((event) => event.type),
    stored.map((event) => event.payload),
    stored.map((event) => event.at),
    stored.map((event) => (event.type === STREAM_CHUNK ? (event.chunkType ?? null) : null)),
    moved.map((entry) => entry.current.id),
    moved.map((entry) => entry.current.lastSeq),
    moved.map((entry) => entry.current.updatedAt),
  ]);
  for (const entry of tasks.values()) {
    if (entry.transitioned) await tx.run(UPDATE_TASK, taskStateValues(entry.current));
  }
  if (ended.length > 0) await dropTaskCommands(tx, ended, 'all');
  return results;
}

/** Log rows with seq > afterSeq, in order, at most `limit`. */
export async function readTaskLog(
  db: Statements,
  taskId: string,
  afterSeq: number,
  limit: number,
): Promise<TaskEventRecord[]> {
  const rows = await db.all(
    'SELECT task_id, seq, type, payload, at FROM task_events WHERE task_id = $1 AND seq > $2 ORDER BY seq LIMIT $3',
    [taskId, afterSeq, limit],
  );
  return rows.map(eventFromRow);
}
