import type { InjectionMode, TaskStatus } from '../../../protocol/index.ts';
import type { CommandRecord } from '../outbox-store.ts';
import type { TaskEventRecord, TaskMessageRecord, TaskPatch, TaskRecord } from '../tasks-store.ts';
import type { ViberRecord } from '../vibers-store.ts';
import type { Row } from './sqlite-database.ts';

// Rows of the vibers, tasks, task log, messages and commands tables, as store records.

const text = (value: unknown): string => value as string;
const nullableText = (value: unknown): string | null => (value == null ? null : (value as string));
const json = <T>(value: unknown): T | null => (value == null ? null : (JSON.parse(value as string) as T));

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
    stopRequested: row.stop_requested === 1,
    lastSeq: row.last_seq as number,
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

/** The whole task row as named parameters for an INSERT or a full UPDATE. */
export function taskToParams(task: TaskRecord): Record<string, string | number | null> {
  return {
    id: task.id,
    viber_id: task.viberId,
    goal: task.goal,
    messages: task.messages ? JSON.stringify(task.messages) : null,
    options: JSON.stringify(task.options),
    status: task.status,
    error: task.error,
    result: task.result ? JSON.stringify(task.result) : null,
    usage: task.usage ? JSON.stringify(task.usage) : null,
    stop_requested: task.stopRequested ? 1 : 0,
    last_seq: task.lastSeq,
    created_at: task.createdAt,
    updated_at: task.updatedAt,
    started_at: task.startedAt,
    ended_at: task.endedAt,
    parent_task_id: task.parentTaskId,
    root_task_id: task.rootTaskId,
    depth: task.depth,
    delegate_request_id: task.delegateRequestId,
  };
}

/** The mutable part of a task row, for UPDATE_TASK. */
export function taskStateParams(task: TaskRecord): Record<string, string | number | null> {
  const {
    viber_id: _v,
    goal: _g,
    messages: _m,
    options: _o,
    created_at: _c,
    parent_task_id: _p,
    root_task_id: _r,
    depth: _d,
    delegate_request_id: _q,
    ...state
  } = taskToParams(task);
  return state;
}

export function applyPatch(task: TaskRecord, patch: TaskPatch, at: string): TaskRecord {
  return { ...task, ...patch, updatedAt: at };
}

export function eventFromRow(row: Row): TaskEventRecord {
  return {
    taskId: text(row.task_id),
    seq: row.seq as number,
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
    seq: row.seq as number,
    commandId: text(row.command_id),
    viberId: text(row.viber_id),
    taskId: nullableText(row.task_id),
    type: text(row.type),
    message: text(row.message),
    createdAt: text(row.created_at),
  };
}
