import { z } from 'zod';
import { LIMITS } from './limits.ts';
import {
  AutonomyModeSchema,
  ChatMessageSchema,
  InjectionModeSchema,
  TaskOptionsSchema,
  TaskResultSchema,
  TaskStatusSchema,
  TokenUsageSchema,
} from './task.ts';
import { ConfigStateSchema, ViberInfoSchema, ViberPresenceSchema, ViberStatusSchema } from './viber-info.ts';

/** REST bodies and responses of the gateway (protocol document, section 2). */

export const HealthResponseSchema = z.object({
  status: z.literal('ok'),
  vibers: z.number().int(),
  tasks: z.number().int(),
  /** The gateway's OpenViber version; absent from gateways that predate it. */
  version: z.string().max(100).optional(),
});
export type HealthResponse = z.infer<typeof HealthResponseSchema>;

export const RegisterViberBodySchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
});
export type RegisterViberBody = z.infer<typeof RegisterViberBodySchema>;

/** The token is shown once, here; the gateway keeps only its hash. */
export const RegisterViberResponseSchema = z.object({ id: z.string(), name: z.string(), token: z.string() });
export type RegisterViberResponse = z.infer<typeof RegisterViberResponseSchema>;

export const ViberViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  presence: ViberPresenceSchema,
  info: ViberInfoSchema.nullable(),
  status: ViberStatusSchema.nullable(),
  configState: ConfigStateSchema.nullable(),
  createdAt: z.string(),
  connectedAt: z.string().nullable(),
  lastHeartbeatAt: z.string().nullable(),
});
export type ViberView = z.infer<typeof ViberViewSchema>;

export const CreateTaskBodySchema = z.strictObject({
  goal: z.string().trim().min(1).max(LIMITS.maxMessageChars),
  /** Optional when exactly one viber is registered. */
  viberId: z.string().min(1).max(200).optional(),
  messages: z.array(ChatMessageSchema).max(1000).optional(),
  options: TaskOptionsSchema.optional(),
});
export type CreateTaskBody = z.infer<typeof CreateTaskBodySchema>;

export const TaskMessageBodySchema = z.strictObject({
  message: z.string().trim().min(1).max(LIMITS.maxMessageChars),
  injectionMode: InjectionModeSchema.default('followup'),
});
export type TaskMessageBody = z.infer<typeof TaskMessageBodySchema>;

export const ApprovalBodySchema = z.strictObject({
  approved: z.boolean(),
  reason: z.string().max(2000).optional(),
});
export type ApprovalBody = z.infer<typeof ApprovalBodySchema>;

export const TaskViewSchema = z.object({
  id: z.string(),
  viberId: z.string(),
  goal: z.string(),
  status: TaskStatusSchema,
  options: TaskOptionsSchema,
  createdAt: z.string(),
  updatedAt: z.string(),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  /** Why the task ended in error or was stopped. */
  error: z.string().nullable(),
  result: TaskResultSchema.nullable(),
  usage: TokenUsageSchema.nullable(),
  /** Highest task event seq the gateway stored. */
  lastSeq: z.number().int(),
  stopRequested: z.boolean(),
  /** The task that delegated this one (docs/delegation.md); null for a root task. Absent from older gateways. */
  parentTaskId: z.string().nullable().optional(),
  /** The first task of its tree; null for a root task. */
  rootTaskId: z.string().nullable().optional(),
  /** 0 for a root task, 1 for its children, ... */
  depth: z.number().int().min(0).optional(),
});
export type TaskView = z.infer<typeof TaskViewSchema>;

/** A task of a tree as its neighbours show it: enough for a line with a link. */
export const TaskLinkSchema = z.object({
  id: z.string(),
  goal: z.string(),
  status: TaskStatusSchema,
  viberId: z.string(),
  /** The viber's name, null when it was removed. */
  viberName: z.string().nullable(),
  parentTaskId: z.string().nullable(),
  depth: z.number().int().min(0),
  mode: AutonomyModeSchema.optional(),
  createdAt: z.string(),
  endedAt: z.string().nullable(),
  error: z.string().nullable(),
});
export type TaskLink = z.infer<typeof TaskLinkSchema>;

export const TaskMessageViewSchema = z.object({
  id: z.string(),
  taskId: z.string(),
  message: z.string(),
  injectionMode: InjectionModeSchema,
  createdAt: z.string(),
  deliveredAt: z.string().nullable(),
});
export type TaskMessageView = z.infer<typeof TaskMessageViewSchema>;

/** A lifecycle event of a task as `GET /api/tasks/:id` lists it (stream chunks are on /stream). */
export const TaskEventViewSchema = z.object({
  seq: z.number().int(),
  type: z.string(),
  at: z.string(),
  data: z.unknown(),
});

export const TaskDetailResponseSchema = z.object({
  task: TaskViewSchema,
  events: z.array(TaskEventViewSchema),
  messages: z.array(TaskMessageViewSchema),
  /** The task that delegated this one, null for a root task (docs/delegation.md). Absent from older gateways. */
  parent: TaskLinkSchema.nullable().optional(),
  /**
   * Every task below this one (its children, theirs, ...), oldest first within each parent: each
   * names its `parentTaskId`, so a reader nests them. Absent from older gateways.
   */
  children: z.array(TaskLinkSchema).optional(),
});
export type TaskDetailResponse = z.infer<typeof TaskDetailResponseSchema>;
