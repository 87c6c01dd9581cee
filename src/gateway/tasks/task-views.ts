import type { z } from 'zod';
import type { TaskEventViewSchema, TaskLink, TaskMessageView, TaskView } from '../../protocol/index.ts';
import type { TaskEventRecord, TaskMessageRecord, TaskRecord } from '../store/index.ts';

// Task records as the REST API and the board show them (schemas in src/protocol/rest.ts).

export function toTaskView(task: TaskRecord): TaskView {
  return {
    id: task.id,
    viberId: task.viberId,
    goal: task.goal,
    status: task.status,
    options: task.options,
    createdAt: task.createdAt,
    updatedAt: task.updatedAt,
    startedAt: task.startedAt,
    endedAt: task.endedAt,
    error: task.error,
    result: task.result,
    usage: task.usage,
    lastSeq: task.lastSeq,
    stopRequested: task.stopRequested,
    parentTaskId: task.parentTaskId,
    rootTaskId: task.rootTaskId,
    depth: task.depth,
  };
}

/** A task of a tree as its neighbours show it (`viberName` null when the viber is gone). */
export function toTaskLink(task: TaskRecord, viberName: string | null): TaskLink {
  return {
    id: task.id,
    goal: task.goal,
    status: task.status,
    viberId: task.viberId,
    viberName,
    parentTaskId: task.parentTaskId,
    depth: task.depth,
    ...(task.options.mode ? { mode: task.options.mode } : {}),
    createdAt: task.createdAt,
    endedAt: task.endedAt,
    error: task.error,
  };
}

export function toTaskMessageView(message: TaskMessageRecord): TaskMessageView {
  return { ...message };
}

export function toTaskEventView(event: TaskEventRecord): z.infer<typeof TaskEventViewSchema> {
  return { seq: event.seq, type: event.type, at: event.at, data: JSON.parse(event.payload) };
}
