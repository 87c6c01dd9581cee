import { z } from 'zod';
import { NextCursorSchema, PageQuerySchema } from './pagination.ts';
import {
  ApprovalBodySchema,
  CreateTaskBodySchema,
  TaskDetailResponseSchema,
  TaskMessageBodySchema,
  TaskMessageViewSchema,
  TaskViewSchema,
} from './rest.ts';
import type { RestRoute } from './rest-route.ts';
import { TaskStatusSchema, UIChunkSchema } from './task.ts';
import { TaskReportSchema } from './ui-data-parts.ts';

/** A task's id in a path. */
export const TaskIdParamsSchema = z.strictObject({ id: z.string().min(1).max(200) });

/** An approval id is whatever the agent's `tool-approval-request` chunk named: visible ASCII. */
export const ApprovalParamsSchema = z.strictObject({
  id: z.string().min(1).max(200),
  approvalId: z.string().regex(/^[\x21-\x7e]{1,200}$/, 'must be 1 to 200 visible ASCII characters'),
});

/** A screenshot's artifact file name (`screenshot-call_1.png`): no path separator, no leading dot. */
export const ScreenshotParamsSchema = z.strictObject({
  id: z.string().min(1).max(200),
  name: z
    .string()
    .regex(
      /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,199}$/,
      'must be an artifact file name: 1 to 200 letters, digits, "_", "-" or ".", not starting with "."',
    ),
});

/** `GET /api/tasks`: a page, newest first. `environmentId` takes an environment's id or its name. */
export const TaskListQuerySchema = PageQuerySchema.extend({
  viberId: z.string().min(1).max(200).optional(),
  status: TaskStatusSchema.optional(),
  environmentId: z.string().min(1).max(200).optional(),
});
export type TaskListQuery = z.infer<typeof TaskListQuerySchema>;

export const TaskListResponseSchema = z.object({
  tasks: z.array(TaskViewSchema),
  nextCursor: NextCursorSchema,
});
export type TaskListResponse = z.infer<typeof TaskListResponseSchema>;

/** `POST /api/tasks/:id/approvals/:approvalId`: the answer is on its way to the viber. */
export const ApprovalAnswerResponseSchema = z.object({
  taskId: z.string(),
  approvalId: z.string(),
  approved: z.boolean(),
});
export type ApprovalAnswerResponse = z.infer<typeof ApprovalAnswerResponseSchema>;

/** The task stream's cursor as a query (`Last-Event-ID` wins when both are sent). */
export const TaskStreamQuerySchema = z.object({
  after: z.coerce.number<number>().int().min(0).max(999_999_999_999_999).optional(),
});

/** Creating, reading, steering and stopping tasks; their report and their stream. */
export const TASK_ROUTES = {
  'tasks.list': {
    kind: 'json',
    method: 'GET',
    path: '/api/tasks',
    scope: 'tasks.read',
    summary: 'A page of tasks, newest first, filtered by viber, status or environment.',
    query: TaskListQuerySchema,
    responses: { 200: TaskListResponseSchema },
    idempotencyKey: false,
  },
  'tasks.create': {
    kind: 'json',
    method: 'POST',
    path: '/api/tasks',
    scope: 'tasks.write',
    summary: 'Starts a task; `pending` until its viber takes it.',
    body: CreateTaskBodySchema,
    responses: { 201: TaskViewSchema },
    idempotencyKey: true,
  },
  'tasks.get': {
    kind: 'json',
    method: 'GET',
    path: '/api/tasks/:id',
    scope: 'tasks.read',
    summary: 'A task with its lifecycle events and follow-up messages.',
    params: TaskIdParamsSchema,
    responses: { 200: TaskDetailResponseSchema },
    idempotencyKey: false,
  },
  'tasks.stop': {
    kind: 'json',
    method: 'POST',
    path: '/api/tasks/:id/stop',
    scope: 'tasks.write',
    summary: 'Stops a task (409 task_finished when it already ended).',
    params: TaskIdParamsSchema,
    responses: { 202: TaskViewSchema },
    idempotencyKey: true,
  },
  'tasks.message': {
    kind: 'json',
    method: 'POST',
    path: '/api/tasks/:id/messages',
    scope: 'tasks.write',
    summary: 'Queues a follow-up message (collect, steer or followup).',
    params: TaskIdParamsSchema,
    body: TaskMessageBodySchema,
    responses: { 202: TaskMessageViewSchema },
    idempotencyKey: true,
  },
  'tasks.approve': {
    kind: 'json',
    method: 'POST',
    path: '/api/tasks/:id/approvals/:approvalId',
    scope: 'approvals',
    summary: 'Answers a tool approval the task asked for (404 if it never did, 409 if answered).',
    params: ApprovalParamsSchema,
    body: ApprovalBodySchema,
    responses: { 202: ApprovalAnswerResponseSchema },
    idempotencyKey: true,
  },
  'tasks.report': {
    kind: 'json',
    method: 'GET',
    path: '/api/tasks/:id/report',
    scope: 'tasks.read',
    summary: "The task's verification report: claims linked to evidence (404 until there is one).",
    params: TaskIdParamsSchema,
    responses: { 200: TaskReportSchema },
    idempotencyKey: false,
  },
  'tasks.screenshot': {
    kind: 'file',
    method: 'GET',
    path: '/api/tasks/:id/screenshots/:name',
    scope: 'tasks.read',
    summary:
      'A screenshot the task took (visual evidence), by artifact name, from its stream log; checked against its sha256.',
    params: ScreenshotParamsSchema,
    mediaTypes: ['image/png', 'image/jpeg'],
  },
  'tasks.stream': {
    kind: 'sse',
    method: 'GET',
    path: '/api/tasks/:id/stream',
    scope: 'tasks.read',
    summary:
      'The AI SDK UI message stream of the task, `id:` its seq; replays from the start or resumes after a cursor.',
    params: TaskIdParamsSchema,
    query: TaskStreamQuerySchema,
    event: UIChunkSchema,
    resumable: true,
    end: '[DONE]',
  },
} as const satisfies Record<string, RestRoute>;
