import type { FollowTaskStreamOptions, RouteInput, TaskStreamChunk } from '#lib/client.ts';
import type { TaskDetailResponse, TaskListResponse, TaskView } from '#lib/protocol.ts';
import { gateway } from './gateway.ts';

/** Tasks (`tasks.*` in src/protocol/task-api.ts): read, start, steer, stop, answer, follow. */

export type CreateTaskInput = RouteInput<'tasks.create'>['body'];
export type TaskMessageInput = RouteInput<'tasks.message'>['body'];
export type ApprovalInput = RouteInput<'tasks.approve'>['body'];

export type TaskListQuery = NonNullable<RouteInput<'tasks.list'>['query']>;

/** A page of tasks, newest first: `nextCursor` reads the next one (null: none). */
export function listTasks(query: TaskListQuery): Promise<TaskListResponse> {
  return gateway.call('tasks.list', { query });
}

export function getTask(id: string): Promise<TaskDetailResponse> {
  return gateway.call('tasks.get', { params: { id } });
}

/** The key is the caller's: kept across retries of one submission, so a retry never starts a second task. */
export function createTask(body: CreateTaskInput, idempotencyKey: string): Promise<TaskView> {
  return gateway.call('tasks.create', { body, idempotencyKey });
}

export function stopTask(id: string): Promise<TaskView> {
  return gateway.call('tasks.stop', { params: { id } });
}

export function sendTaskMessage(id: string, body: TaskMessageInput, idempotencyKey: string) {
  return gateway.call('tasks.message', { params: { id }, body, idempotencyKey });
}

export function answerApproval(id: string, approvalId: string, body: ApprovalInput) {
  return gateway.call('tasks.approve', { params: { id, approvalId }, body });
}

/**
 * The task's stream from its start, every chunk once, to its end: one connection at a time,
 * resumed with `Last-Event-ID` after a drop (the client's followTaskStream).
 */
export function followTask(id: string, options: FollowTaskStreamOptions): AsyncGenerator<TaskStreamChunk, void> {
  return gateway.followTaskStream(id, options);
}

/**
 * Where a screenshot the task took is served (`tasks.screenshot`): same origin, so an <img> or a
 * new tab loads it with the session cookie, never a public URL.
 */
export function screenshotUrl(id: string, name: string): string {
  return gateway.url('tasks.screenshot', { params: { id, name } });
}
