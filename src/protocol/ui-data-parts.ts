import { z } from 'zod';

/**
 * Payloads of OpenViber's own parts of the AI SDK UI message stream (`data-plan`,
 * `data-artifact`, `data-report`). The agent produces them and the board and CLI render them;
 * defined here so both sides agree without importing each other.
 */

export const PlanStepStatusSchema = z.enum(['pending', 'in_progress', 'done', 'blocked']);
export const PlanStepSchema = z.object({
  id: z.string().trim().min(1).max(64).describe('Short stable id, e.g. "1" or "tests"'),
  title: z.string().trim().min(1).max(300).describe('What the step does'),
  status: PlanStepStatusSchema,
});
export type PlanStep = z.infer<typeof PlanStepSchema>;

/** `data-plan`: the task's step list, as persisted at workspace/<taskId>/plan.json. */
export const PlanSchema = z.object({
  taskId: z.string(),
  updatedAt: z.string(),
  steps: z.array(PlanStepSchema),
});
export type Plan = z.infer<typeof PlanSchema>;

/** `data-artifact`: a file the task saved under workspace/<taskId>/artifacts. */
export const ArtifactPartSchema = z.object({
  name: z.string(),
  path: z.string(),
  mediaType: z.string(),
  sha256: z.string(),
  bytes: z.number().int(),
});
export type ArtifactPart = z.infer<typeof ArtifactPartSchema>;

/**
 * `data-screenshot`: an image a tool took (a browser page, a desktop) and saved as a task artifact.
 * It carries the image itself (base64, at most MAX_SCREENSHOT_BYTES) so the gateway can serve it
 * from the task's durable log, with the caller's credentials, even when the viber is offline.
 */
export const MAX_SCREENSHOT_BYTES = 600 * 1024;
export const ScreenshotPartSchema = z.object({
  name: z.string(),
  path: z.string(),
  mediaType: z.enum(['image/png', 'image/jpeg']),
  sha256: z.string(),
  bytes: z.number().int(),
  toolCallId: z.string(),
  action: z.string(),
  base64: z.string(),
});
export type ScreenshotPart = z.infer<typeof ScreenshotPartSchema>;

/** A proof a report claim can link to (architecture document, section 6). */
export const EvidenceSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('tool-call'),
    toolCallId: z.string(),
    tool: z.string(),
    /** Short human-readable summary of the input, e.g. the command line. */
    input: z.string(),
    outputExcerpt: z.string(),
    ok: z.boolean(),
  }),
  z.object({
    kind: z.literal('file'),
    toolCallId: z.string(),
    path: z.string(),
    sha256: z.string(),
    bytes: z.number().int(),
    /** Set for visual evidence: the image's media type (image/png) and the action that produced it. */
    mediaType: z.string().optional(),
    action: z.string().optional(),
  }),
  z.object({ kind: z.literal('url'), toolCallId: z.string(), url: z.string(), status: z.number().int() }),
]);
export type Evidence = z.infer<typeof EvidenceSchema>;

export const ReportClaimSchema = z.object({
  id: z.string(),
  text: z.string(),
  status: z.enum(['verified', 'unverified']),
  /** The tool call ids the claim cites, as stated. */
  citations: z.array(z.string()),
  /** The recorded proofs of the cited calls. */
  evidence: z.array(EvidenceSchema),
  /** Why a claim is unverified, or which citations were not found. */
  note: z.string().optional(),
});
export type ReportClaim = z.infer<typeof ReportClaimSchema>;

/**
 * `data-report`: the verification report that ends a task. A claim is verified only when it cites
 * a tool call whose recorded evidence shows success; anything else is unverified and says why.
 */
export const TaskReportSchema = z.object({
  version: z.literal(1),
  taskId: z.string(),
  status: z.enum(['completed', 'error', 'stopped']),
  createdAt: z.string(),
  summary: z.string(),
  /** False when the agent never stated its claims; its final text then stands unverified. */
  statedByAgent: z.boolean(),
  claims: z.array(ReportClaimSchema),
  counts: z.object({
    claims: z.number().int(),
    verified: z.number().int(),
    unverified: z.number().int(),
    evidence: z.number().int(),
  }),
  /** Every proof recorded during the task, cited or not. */
  evidence: z.array(EvidenceSchema),
});
export type TaskReport = z.infer<typeof TaskReportSchema>;

/**
 * `data-viber-restarted`: the daemon restarted while the task ran and picked it up again (its
 * durable outbox and checkpoint). Tool calls that were running then are listed: they were not run
 * again, and the model was told their effect is unknown.
 */
export const ViberRestartedPartSchema = z.object({
  at: z.string(),
  interruptedToolCalls: z.array(z.string()),
});
export type ViberRestartedPart = z.infer<typeof ViberRestartedPartSchema>;
