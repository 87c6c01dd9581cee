import { z } from 'zod';
import { LIMITS } from './limits.ts';
import { AutonomyModeSchema, TaskStatusSchema } from './task.ts';

/**
 * Scheduled jobs (docs/jobs.md): a cron pattern in an IANA time zone that starts a task with a
 * goal and a mode, on one viber or in one environment, and says where its result goes. The
 * pattern and the zone are checked by the gateway (croner), which names the field and croner's
 * reason in its 400; here only their size.
 */

/** Five fields (minute precision) or six (the first is the second); `@daily` and the like too. */
export const CronPatternSchema = z.string().trim().min(1).max(200);
/** An IANA time zone (`Europe/Berlin`, `UTC`), as the gateway's Intl knows them. */
export const TimeZoneSchema = z.string().trim().min(1).max(100);

/** What a tick finds when it was missed (the gateway was down): one skipped run, or one run. */
export const MissedRunPolicySchema = z.enum(['skip', 'run-once']);
export type MissedRunPolicy = z.infer<typeof MissedRunPolicySchema>;

/** Where a job's task runs: one viber, or an environment (a viber where it is ready). */
export const JobTargetSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('viber'), viberId: z.string().min(1).max(200) }),
  z.strictObject({ type: z.literal('environment'), environmentId: z.string().min(1).max(200) }),
]);
export type JobTarget = z.infer<typeof JobTargetSchema>;

/** Where a run's result goes: the board (its task), or a chat channel's conversation. */
export const JobDeliverySchema = z.discriminatedUnion('to', [
  z.strictObject({ to: z.literal('board') }),
  z.strictObject({
    to: z.literal('channel'),
    channelId: z.string().min(1).max(200),
    /** The chat or thread on that channel (`<chat id>`, `<channel>:<thread>`). */
    conversationKey: z.string().min(1).max(500),
  }),
]);
export type JobDelivery = z.infer<typeof JobDeliverySchema>;

export const CreateJobBodySchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  cron: CronPatternSchema,
  timeZone: TimeZoneSchema.default('UTC'),
  goal: z.string().trim().min(1).max(LIMITS.maxMessageChars),
  mode: AutonomyModeSchema.default('agent-decides'),
  target: JobTargetSchema,
  delivery: JobDeliverySchema.default({ to: 'board' }),
  missedRuns: MissedRunPolicySchema.default('skip'),
  enabled: z.boolean().default(true),
});
export type CreateJobBody = z.infer<typeof CreateJobBodySchema>;

/** The fields given replace the job's; `enabled: false` pauses it, `true` resumes it. */
export const UpdateJobBodySchema = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  cron: CronPatternSchema.optional(),
  timeZone: TimeZoneSchema.optional(),
  goal: z.string().trim().min(1).max(LIMITS.maxMessageChars).optional(),
  mode: AutonomyModeSchema.optional(),
  target: JobTargetSchema.optional(),
  delivery: JobDeliverySchema.optional(),
  missedRuns: MissedRunPolicySchema.optional(),
  enabled: z.boolean().optional(),
});
export type UpdateJobBody = z.infer<typeof UpdateJobBodySchema>;

/**
 * What became of one tick: `started` (its task was created; pending until its viber takes it),
 * `skipped` (missed while no gateway ran, under the `skip` policy), `failed-to-start` (no task:
 * the target was gone or not ready, said in `error`).
 */
export const JobRunStatusSchema = z.enum(['started', 'skipped', 'failed-to-start']);
export type JobRunStatus = z.infer<typeof JobRunStatusSchema>;

/** Why the run exists: its tick came, a missed tick was caught up, or an operator ran it now. */
export const JobRunTriggerSchema = z.enum(['schedule', 'missed', 'manual']);
export type JobRunTrigger = z.infer<typeof JobRunTriggerSchema>;

export const JobRunViewSchema = z.object({
  id: z.string(),
  jobId: z.string(),
  /** The tick (croner's time, ISO 8601 UTC); for a manual run, when it was asked for. */
  scheduledFor: z.string(),
  trigger: JobRunTriggerSchema,
  status: JobRunStatusSchema,
  /** Ticks this row stands for when they were missed (a skipped or caught-up run); else null. */
  missedTicks: z.number().int().nullable(),
  taskId: z.string().nullable(),
  /** The task's own status now (null without a task). */
  taskStatus: TaskStatusSchema.nullable(),
  error: z.string().nullable(),
  createdAt: z.string(),
});
export type JobRunView = z.infer<typeof JobRunViewSchema>;

export const JobViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  cron: z.string(),
  timeZone: z.string(),
  goal: z.string(),
  mode: AutonomyModeSchema,
  target: JobTargetSchema,
  delivery: JobDeliverySchema,
  missedRuns: MissedRunPolicySchema,
  enabled: z.boolean(),
  /** The next ticks (ISO 8601 UTC), at most three; empty while paused or when none is left. */
  nextRuns: z.array(z.string()),
  lastRun: JobRunViewSchema.nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type JobView = z.infer<typeof JobViewSchema>;
