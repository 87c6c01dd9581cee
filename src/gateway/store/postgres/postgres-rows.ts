import type { InjectionMode, TaskStatus } from '../../../protocol/index.ts';
import type { CommandRecord } from '../outbox-store.ts';
import type { TaskEventRecord, TaskMessageRecord, TaskRecord } from '../tasks-store.ts';
import type { ViberRecord } from '../vibers-store.ts';
import type { Row } from './postgres-database.ts';

// Rows of the vibers, tasks, task log, messages and commands tables, as store records. JSON is
// stored as the text the gateway wrote; bigint columns (identities) arrive as text and are numbers here.

const text = (value: unknown): string => value as string;
const nullableText = (value: unknown): string | null => (value == null ? null : (value as string));
const json = <T>(value: unknown): T | null => (value == null ? null : (JSON.parse(value as string) as T));
const jsonText = (value: unknown): string | null => (value == null ? null : JSON.stringify(value));

export function viberFromRow(row: Row): ViberRecord {
  return {
    id: text(row.id),
    name: text(row.name),
    createdAt: text(row.created_at),
    revokedAt: nullableText(row.revoked_at),
    info: json(row.info),
    status: json(row.status),
    configState: json(row.config_state),
    connectedAt: nullableText(row.connected_at),
    lastHeartbeatAt: nullableText(row.last_heartbeat_at),
  };
}

export function taskFromRow(row: Row): TaskRecord {
  return {
    id: text(row.id),
    viberId: text(row.viber_id),
    goal: text(row.goal),
    messages: json(row.messages),
    options: json(row.options) ?? {},
    status: row.status as TaskStatus,
    error: nullableText(row.error),
    result: json(row.result),
    usage: json(row.usage),
    stopRequested: row.stop_requested === true,
    lastSeq: Number(row.last_seq),
    createdAt: text(row.created_at),
    updatedAt: text(row.updated_at),
    startedAt: nullableText(row.started_at),
    endedAt: nullableText(row.ended_at),
    parentTaskId: nullableText(row.parent_task_id),
    rootTaskId: nullableText(row.root_task_id),
    depth: Number(row.depth ?? 0),
    delegateRequestId: nullableText(row.delegate_request_id),
    parentNotifiedAt: nullableText(row.parent_notified_at),
  };
}

export const TASK_COLUMNS = [
  'id',
  'viber_id',
  'environment_id',
  'goal',
  'messages',
  'options',
  'status',
  'error',
  'result',
  'usage',
  'stop_requested',
  'last_seq',
  'created_at',
  'updated_at',
  'started_at',
  'ended_at',
  'parent_task_id',
  'root_task_id',
  'depth',
  'delegate_request_id',
] as const;

/** The whole task row, in TASK_COLUMNS' order, for an INSERT. */
export function taskValues(task: TaskRecord): unknown[] {
  const [, status, error, result, usage, stopRequested, lastSeq, updatedAt, startedAt, endedAt] =
    taskStateValues(task);
  return [
    task.id,
    task.viberId,
    task.options.environmentId ?? null,
    task.goal,
    jsonText(task.messages),
    JSON.stringify(task.options),
    status,
    error,
    result,
    usage,
    stopRequested,
    lastSeq,
    task.createdAt,
    updatedAt,
    startedAt,
    endedAt,
    task.parentTaskId,
    task.rootTaskId,
    task.depth,
    task.delegateRequestId,
  ];
}

/** The columns a task's state changes, for UPDATE_TASK. */
export function taskStateValues(task: TaskRecord): unknown[] {
  return [
    task.id,
    task.status,
    task.error,
    jsonText(task.result),
    jsonText(task.usage),
    task.stopRequested,
    task.lastSeq,
    task.updatedAt,
    task.startedAt,
    task.endedAt,
  ];
}

export const UPDATE_TASK = `UPDATE tasks SET status = $2, error = $3, result = $4, usage = $5, stop_requested = $6,
  last_seq = $7, updated_at = $8, started_at = $9, ended_at = $10 WHERE id = $1`;

export function eventFromRow(row: Row): TaskEventRecord {
  return {
    taskId: text(row.task_id),
    seq: Number(row.seq),
    type: text(row.type),
    payload: text(row.payload),
    at: text(row.at),
  };
}

export function messageFromRow(row: Row): TaskMessageRecord {
  return {
    id: text(row.id),
    taskId: text(row.task_id),
    message: text(row.message),
    injectionMode: row.injection_mode as InjectionMode,
    createdAt: text(row.created_at),
    deliveredAt: nullableText(row.delivered_at),
  };
}

export function commandFromRow(row: Row): CommandRecord {
  return {
    seq: Number(row.seq),
    commandId: text(row.command_id),
    viberId: text(row.viber_id),
    taskId: nullableText(row.task_id),
    type: text(row.type),
    message: text(row.message),
    createdAt: text(row.created_at),
  };
}
