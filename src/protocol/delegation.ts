import { z } from 'zod';
import { ErrorCodeSchema } from './errors.ts';
import { LIMITS } from './limits.ts';
import { AutonomyModeSchema, TaskBudgetSchema, TokenUsageSchema } from './task.ts';

// Delegation (docs/delegation.md): a running task starts a child task through its daemon's socket,
// and hears of the child's end through the gateway's durable outbox.

const taskId = z.string().min(1).max(200);
/** The delegate tool call's id: a request sent again (a reconnect) never starts a second child. */
const requestId = z.string().min(1).max(200);

/** How deep a tree of tasks may grow: a root task is depth 0, its children 1, ... */
export const MAX_DELEGATION_DEPTH = 3;
/** How many tasks a tree may hold besides its root: a delegation loop ends here. */
export const MAX_TREE_CHILDREN = 10;

/** What the delegate tool asks for: the child's goal and where it may run; the gateway picks the viber. */
export const DelegateTargetSchema = z.strictObject({
  goal: z.string().trim().min(1).max(LIMITS.maxMessageChars),
  /** Never more autonomous than the parent: the gateway takes the lesser of the two. */
  mode: AutonomyModeSchema.optional(),
  /** A viber's id or name; default: the parent's viber, unless a capability or environment is asked for. */
  viber: z.string().min(1).max(200).optional(),
  /** A capability the viber must report (`desktop`, `browser`, ...). */
  capability: z.string().min(1).max(100).optional(),
  /** An environment (id or name) the child runs in, on a viber bound to it. */
  environmentId: z.string().min(1).max(200).optional(),
});
export type DelegateTarget = z.infer<typeof DelegateTargetSchema>;

/** Daemon -> gateway: start a child of `taskId` (which this viber runs). */
export const delegationFromViberSchemas = [
  DelegateTargetSchema.extend({
    type: z.literal('task:delegate'),
    requestId,
    taskId,
    /** The parent's effective mode (its daemon's default when the task named none). */
    parentMode: AutonomyModeSchema,
    /** What is left of the parent's per-task budget: the child may spend no more. */
    budget: TaskBudgetSchema.optional(),
  }).strip(),
] as const;

/** A child task as the gateway started it. */
export const DelegatedChildSchema = z.object({
  childTaskId: taskId,
  viberId: z.string().min(1).max(200),
  viberName: z.string().max(200),
  mode: AutonomyModeSchema,
});
export type DelegatedChild = z.infer<typeof DelegatedChildSchema>;

/**
 * What the parent hears of a child's report: the summary and the claims with their status, not the
 * evidence (the child's own report keeps it; `GET /api/tasks/:id/report`).
 */
export const ChildReportSchema = z.object({
  summary: z.string().max(LIMITS.maxMessageChars),
  statedByAgent: z.boolean(),
  claims: z
    .array(
      z.object({
        text: z.string().max(4000),
        status: z.enum(['verified', 'unverified']),
        note: z.string().max(2000).optional(),
      }),
    )
    .max(100),
  counts: z.object({
    claims: z.number().int(),
    verified: z.number().int(),
    unverified: z.number().int(),
    evidence: z.number().int(),
  }),
});
export type ChildReport = z.infer<typeof ChildReportSchema>;

/** A child's end, as its parent hears it. */
export const ChildOutcomeSchema = z.object({
  childTaskId: taskId,
  /** The delegate call that started it. */
  requestId,
  viberId: z.string().min(1).max(200),
  status: z.enum(['completed', 'error', 'stopped']),
  /** The child's final answer (completed), else empty. */
  answer: z.string().max(LIMITS.maxMessageChars),
  /** Why it ended in error or was stopped. */
  error: z.string().max(8000).nullable(),
  usage: TokenUsageSchema.nullable(),
  report: ChildReportSchema.nullable(),
});
export type ChildOutcome = z.infer<typeof ChildOutcomeSchema>;

/** Gateway -> daemon: the answers to `task:delegate` (sent at once), and a child's end (a command). */
export const delegationToViberSchemas = [
  DelegatedChildSchema.extend({ type: z.literal('task:delegated'), requestId, taskId }).strip(),
  z
    .object({
      type: z.literal('task:delegate-refused'),
      requestId,
      taskId,
      code: ErrorCodeSchema,
      message: z.string().max(2000),
    })
    .strip(),
  /** Through the durable outbox to the parent's viber; `taskId` is the parent. */
  ChildOutcomeSchema.extend({
    type: z.literal('task:child-ended'),
    commandId: z.string().min(1).max(200),
    taskId,
  }).strip(),
] as const;
