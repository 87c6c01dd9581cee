import { z } from 'zod';
import { environmentFromViberSchemas } from './environment.ts';
import { ErrorCodeSchema } from './errors.ts';
import { TaskProgressEventSchema, TaskResultSchema, UIChunkSchema } from './task.ts';
import { terminalFromViberSchemas } from './terminal.ts';
import { ConfigValidationSchema, ViberInfoSchema, ViberStatusSchema } from './viber-info.ts';

const taskId = z.string().min(1).max(200);
/** Per-task sequence number: 1, 2, 3, ... over every task event the daemon sends (DESIGN.md, rule 1). */
export const SeqSchema = z.number().int().min(1);

/**
 * Task events: every one carries (taskId, seq). The gateway appends them to the durable task log,
 * drops a seq it already has, and answers `task:ack` with the highest seq stored.
 */
export const taskEventSchemas = [
  z.strictObject({ type: z.literal('task:started'), taskId, seq: SeqSchema, spaceId: z.string().max(4096) }),
  z.strictObject({ type: z.literal('task:stream-chunk'), taskId, seq: SeqSchema, chunk: UIChunkSchema }),
  z.strictObject({
    type: z.literal('task:progress'),
    taskId,
    seq: SeqSchema,
    event: TaskProgressEventSchema,
  }),
  z.strictObject({ type: z.literal('task:completed'), taskId, seq: SeqSchema, result: TaskResultSchema }),
  z.strictObject({ type: z.literal('task:error'), taskId, seq: SeqSchema, error: z.string().max(8000) }),
  z.strictObject({ type: z.literal('task:stopped'), taskId, seq: SeqSchema, reason: z.string().max(2000) }),
] as const;

export const TaskEventSchema = z.discriminatedUnion('type', [...taskEventSchemas]);
export type TaskEvent = z.infer<typeof TaskEventSchema>;
export type TaskEventType = TaskEvent['type'];
/** A task event before the outbox numbers it. */
export type UnnumberedTaskEvent = TaskEvent extends infer E
  ? E extends TaskEvent
    ? Omit<E, 'seq'>
    : never
  : never;

/** Daemon -> gateway (protocol document, section 3, plus the reliability fields of DESIGN.md). */
export const DaemonMessageSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('connected'), viber: ViberInfoSchema }),
  ...taskEventSchemas,
  /** The daemon has a gateway command (`commandId`) and will not act on it twice. */
  z.strictObject({ type: z.literal('command:ack'), commandId: z.string().min(1).max(200) }),
  z.strictObject({ type: z.literal('heartbeat'), status: ViberStatusSchema }),
  z.strictObject({ type: z.literal('pong') }),
  z.strictObject({
    type: z.literal('config:ack'),
    configVersion: z.string().max(200),
    validations: z.array(ConfigValidationSchema).max(200),
  }),
  z.strictObject({
    type: z.literal('error'),
    code: ErrorCodeSchema,
    message: z.string().max(2000),
    commandId: z.string().max(200).optional(),
    taskId: z.string().max(200).optional(),
  }),
  ...terminalFromViberSchemas,
  ...environmentFromViberSchemas,
]);
export type DaemonMessage = z.infer<typeof DaemonMessageSchema>;
export type DaemonMessageType = DaemonMessage['type'];
