import { z } from 'zod';
import { DaemonMetricsSchema } from './daemon-metrics.ts';
import { delegationFromViberSchemas } from './delegation.ts';
import { desktopFromViberSchemas } from './desktop-view.ts';
import { environmentFromViberSchemas } from './environment.ts';
import { ErrorCodeSchema } from './errors.ts';
import { portsFromViberSchemas } from './ports.ts';
import { TaskProgressEventSchema, TaskResultSchema, UIChunkSchema } from './task.ts';
import { terminalFromViberSchemas } from './terminal.ts';
import { ConfigValidationSchema, ViberInfoSchema, ViberStatusSchema } from './viber-info.ts';

const taskId = z.string().min(1).max(200);
/** Per-task sequence number: 1, 2, 3, ... over every task event the daemon sends (DESIGN.md, rule 1). */
export const SeqSchema = z.number().int().min(1);

type StripKeys<T> = T extends z.ZodObject<infer Shape> ? z.ZodObject<Shape, z.core.$strip> : never;

/**
 * The same message schemas, ignoring the keys they do not know: a newer peer may add fields to a
 * daemon <-> gateway message, and an older one reads what it knows of it instead of refusing it.
 */
export function ignoringUnknownKeys<const T extends readonly z.ZodObject[]>(
  schemas: T,
): { -readonly [K in keyof T]: StripKeys<T[K]> } {
  return schemas.map((schema) => schema.strip()) as { -readonly [K in keyof T]: StripKeys<T[K]> };
}

/**
 * Task events: every one carries (taskId, seq). The gateway appends them to the durable task log,
 * drops a seq it already has, and answers `task:ack` with the highest seq stored.
 */
export const taskEventSchemas = [
  z.object({ type: z.literal('task:started'), taskId, seq: SeqSchema, spaceId: z.string().max(4096) }),
  z.object({ type: z.literal('task:stream-chunk'), taskId, seq: SeqSchema, chunk: UIChunkSchema }),
  z.object({
    type: z.literal('task:progress'),
    taskId,
    seq: SeqSchema,
    event: TaskProgressEventSchema,
  }),
  z.object({ type: z.literal('task:completed'), taskId, seq: SeqSchema, result: TaskResultSchema }),
  z.object({ type: z.literal('task:error'), taskId, seq: SeqSchema, error: z.string().max(8000) }),
  z.object({ type: z.literal('task:stopped'), taskId, seq: SeqSchema, reason: z.string().max(2000) }),
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

/** What both kinds of daemon send besides task events (protocol document, section 3). */
const connectedSchema = z.object({ type: z.literal('connected'), viber: ViberInfoSchema });
const sharedSchemas = [
  // `metrics`: the daemon's own counters (daemon-metrics.ts); absent from daemons that predate them.
  z.object({
    type: z.literal('heartbeat'),
    status: ViberStatusSchema,
    metrics: DaemonMetricsSchema.optional(),
  }),
  z.object({ type: z.literal('pong') }),
  z.object({
    type: z.literal('config:ack'),
    configVersion: z.string().max(200),
    validations: z.array(ConfigValidationSchema).max(200),
  }),
] as const;
const terminalSchemas = ignoringUnknownKeys(terminalFromViberSchemas);
/** The daemon has a gateway command (`commandId`) and will not act on it twice. */
const commandAckSchema = z.object({ type: z.literal('command:ack'), commandId: z.string().min(1).max(200) });
const daemonErrorSchema = z.object({
  type: z.literal('error'),
  code: ErrorCodeSchema,
  message: z.string().max(2000),
  commandId: z.string().max(200).optional(),
  taskId: z.string().max(200).optional(),
});

/**
 * Daemon -> gateway (protocol document, section 3, plus the reliability fields of DESIGN.md), for a
 * daemon that negotiated the `seq` extension in the connect handshake. Unknown keys are ignored.
 */
export const DaemonMessageSchema = z.discriminatedUnion('type', [
  connectedSchema,
  ...taskEventSchemas,
  commandAckSchema,
  ...sharedSchemas,
  daemonErrorSchema,
  ...terminalSchemas,
  ...ignoringUnknownKeys(environmentFromViberSchemas),
  ...ignoringUnknownKeys(desktopFromViberSchemas),
  ...ignoringUnknownKeys(portsFromViberSchemas),
  ...delegationFromViberSchemas,
]);
export type DaemonMessage = z.infer<typeof DaemonMessageSchema>;
export type DaemonMessageType = DaemonMessage['type'];

/**
 * The task events of the protocol document, section 3, exactly: no `seq`, and `task:stream-chunk`
 * carries raw AI SDK SSE text (`data: {...}\n\n`; several events in one chunk, or one event split
 * across chunks). The document leaves the shapes of `result`, `error` and the progress `event`
 * open: a result is ours or just its text, an error a text or an object with a `message`, and a
 * progress event the gateway does not know is ignored.
 */
export const documentTaskEventSchemas = [
  z.object({ type: z.literal('task:started'), taskId, spaceId: z.string().max(4096) }),
  z.object({ type: z.literal('task:stream-chunk'), taskId, chunk: z.string() }),
  z.object({ type: z.literal('task:progress'), taskId, event: z.unknown() }),
  z.object({
    type: z.literal('task:completed'),
    taskId,
    result: z.union([TaskResultSchema, z.string().max(1_000_000)]),
  }),
  z.object({
    type: z.literal('task:error'),
    taskId,
    error: z.union([z.string().max(8000), z.object({ message: z.string().max(8000) })]),
  }),
] as const;

/**
 * Daemon -> gateway for a daemon without the `seq` extension: one that speaks only the protocol
 * document's frames (it authenticated its upgrade with `Authorization` and `X-Viber-Id`, so it
 * negotiated no extension). Its task events carry no `seq`. It may also send `command:ack` (when it
 * negotiated `command-ack` alone) and `error`, which the document's daemon never does. Unknown keys
 * are ignored.
 */
export const DocumentDaemonMessageSchema = z.discriminatedUnion('type', [
  connectedSchema,
  ...documentTaskEventSchemas,
  commandAckSchema,
  ...sharedSchemas,
  daemonErrorSchema,
  ...terminalSchemas,
]);
export type DocumentDaemonMessage = z.infer<typeof DocumentDaemonMessageSchema>;
export type DocumentTaskEvent = Extract<DocumentDaemonMessage, { type: `task:${string}` }>;
