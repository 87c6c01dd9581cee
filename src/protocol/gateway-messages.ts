import { z } from 'zod';
import { ignoringUnknownKeys, SeqSchema } from './daemon-messages.ts';
import { delegationToViberSchemas } from './delegation.ts';
import { desktopToViberSchemas } from './desktop-view.ts';
import { environmentToViberSchemas } from './environment.ts';
import { ErrorCodeSchema } from './errors.ts';
import { LIMITS } from './limits.ts';
import { portsToViberSchemas } from './ports.ts';
import { ChatMessageSchema, InjectionModeSchema, TaskOptionsSchema } from './task.ts';
import { terminalToViberSchemas } from './terminal.ts';

const taskId = z.string().min(1).max(200);
/**
 * Commands that must reach the daemon carry a `commandId`. The gateway keeps them in a durable
 * outbox and sends them again after every reconnect until the daemon answers `command:ack`;
 * the daemon acts on a commandId (and on a taskId) at most once (DESIGN.md, rule 4).
 */
const commandId = z.string().min(1).max(200);

/** Gateway -> daemon. Unknown keys are ignored (a newer gateway may add fields). */
export const GatewayMessageSchema = z.discriminatedUnion('type', [
  /** First message after `connected`: the agreed version and the limits and timings in force. */
  z.object({
    type: z.literal('welcome'),
    protocolVersion: z.number().int(),
    viberId: z.string(),
    heartbeatIntervalMs: z.number().int().min(100),
    maxFrameBytes: z.number().int().min(1024),
  }),
  z.object({
    type: z.literal('task:submit'),
    commandId,
    taskId,
    goal: z.string().min(1).max(LIMITS.maxMessageChars),
    messages: z.array(ChatMessageSchema).max(1000).optional(),
    options: TaskOptionsSchema.optional(),
  }),
  z.object({ type: z.literal('task:stop'), commandId, taskId }),
  z.object({
    type: z.literal('task:message'),
    commandId,
    taskId,
    messageId: z.string().min(1).max(200),
    message: z.string().min(1).max(LIMITS.maxMessageChars),
    injectionMode: InjectionModeSchema,
  }),
  /** The operator's answer to a tool approval request streamed by the task. */
  z.object({
    type: z.literal('task:approval'),
    commandId,
    taskId,
    approvalId: z.string().min(1).max(200),
    approved: z.boolean(),
    reason: z.string().max(2000).optional(),
  }),
  /** Every task event with seq <= this one is stored durably: the daemon may forget them. */
  z.object({ type: z.literal('task:ack'), taskId, seq: SeqSchema }),
  z.object({ type: z.literal('ping') }),
  /** Deprecated by the protocol document in favour of config:push; kept for old daemons. */
  z.object({ type: z.literal('config:update'), config: z.record(z.string(), z.unknown()) }),
  z.object({ type: z.literal('config:push') }),
  /** A frame or event the gateway refused; `taskId` names the task when there is one. */
  z.object({
    type: z.literal('error'),
    code: ErrorCodeSchema,
    message: z.string(),
    taskId: z.string().max(200).optional(),
  }),
  ...ignoringUnknownKeys(terminalToViberSchemas),
  ...ignoringUnknownKeys(environmentToViberSchemas),
  ...ignoringUnknownKeys(desktopToViberSchemas),
  ...ignoringUnknownKeys(portsToViberSchemas),
  ...delegationToViberSchemas,
]);
export type GatewayMessage = z.infer<typeof GatewayMessageSchema>;
export type GatewayMessageType = GatewayMessage['type'];
/** The command that starts a task on a daemon. */
export type TaskSubmit = Extract<GatewayMessage, { type: 'task:submit' }>;
/** Gateway messages that travel through the durable command outbox. */
export type GatewayCommand = Extract<GatewayMessage, { commandId: string }>;

/**
 * The commands in the protocol document's own shapes (section 3), for a daemon that negotiated no
 * `command-ack`: no `commandId`, no `messageId`. The gateway sends each at most once.
 * `task:approval` and the environment commands have no such shape and are never sent to it.
 */
export const DocumentCommandSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('task:submit'),
    taskId,
    goal: z.string().min(1).max(LIMITS.maxMessageChars),
    messages: z.array(ChatMessageSchema).max(1000).optional(),
    options: TaskOptionsSchema.optional(),
  }),
  z.object({ type: z.literal('task:stop'), taskId }),
  z.object({
    type: z.literal('task:message'),
    taskId,
    message: z.string().min(1).max(LIMITS.maxMessageChars),
    injectionMode: InjectionModeSchema.optional(),
  }),
]);
export type DocumentCommand = z.infer<typeof DocumentCommandSchema>;
