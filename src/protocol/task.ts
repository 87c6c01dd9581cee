import { z } from 'zod';
import { LIMITS } from './limits.ts';

/** Task lifecycle (protocol document, section 4). Terminal states never change again. */
export const TaskStatusSchema = z.enum(['pending', 'running', 'completed', 'error', 'stopped']);
export type TaskStatus = z.infer<typeof TaskStatusSchema>;
export const TERMINAL_TASK_STATUSES: readonly TaskStatus[] = ['completed', 'error', 'stopped'];
export const isTerminalTaskStatus = (status: TaskStatus): boolean => TERMINAL_TASK_STATUSES.includes(status);

/** How a follow-up joins a running task (protocol document, section 5). */
export const InjectionModeSchema = z.enum(['collect', 'steer', 'followup']);
export type InjectionMode = z.infer<typeof InjectionModeSchema>;

/** Autonomy profiles (architecture document, section 4). */
export const AutonomyModeSchema = z.enum(['always-ask', 'agent-decides', 'always-execute']);
export type AutonomyMode = z.infer<typeof AutonomyModeSchema>;

/** `provider/model`, e.g. `openai/gpt-4.1`, `anthropic/claude-sonnet-4-5`, `custom/llama3.1`. */
export const ModelRefSchema = z
  .string()
  .regex(
    /^(openai|anthropic|custom)\/[^\s]{1,200}$/,
    'must be <provider>/<model> with provider openai, anthropic or custom',
  );

/**
 * A per-task limit on top of the viber's own (`config.budget.perTask`): the lower one applies. A
 * delegated child gets what is left of its parent's (docs/delegation.md).
 */
export const TaskBudgetSchema = z.strictObject({
  tokens: z.number().int().min(0).optional(),
  costUsd: z.number().min(0).optional(),
});
export type TaskBudget = z.infer<typeof TaskBudgetSchema>;

export const TaskOptionsSchema = z.strictObject({
  model: ModelRefSchema.optional(),
  mode: AutonomyModeSchema.optional(),
  /** Working directory on the viber; defaults to the viber's workspace. */
  cwd: z.string().min(1).max(4096).optional(),
  /** Upper bound on agent steps (model calls) per run. */
  maxSteps: z.number().int().min(1).max(1000).optional(),
  environmentId: z.string().max(200).optional(),
  budget: TaskBudgetSchema.optional(),
});
export type TaskOptions = z.infer<typeof TaskOptionsSchema>;

/** A chat message carried with a task (prior conversation), AI SDK style but text-only on the wire. */
export const ChatMessageSchema = z.strictObject({
  role: z.enum(['user', 'assistant']),
  content: z.string().max(LIMITS.maxMessageChars),
});
export type ChatMessage = z.infer<typeof ChatMessageSchema>;

export const TokenUsageSchema = z.object({
  inputTokens: z.number().int().min(0),
  outputTokens: z.number().int().min(0),
  totalTokens: z.number().int().min(0),
  /** US dollars, from the price table in config.budget.prices; absent when the model has no price. */
  costUsd: z.number().min(0).optional(),
});
export type TokenUsage = z.infer<typeof TokenUsageSchema>;

export const TaskResultSchema = z.object({
  /** The final assistant text of the last run. */
  text: z.string(),
  finishReason: z.string().max(100).optional(),
  usage: TokenUsageSchema.optional(),
});
export type TaskResult = z.infer<typeof TaskResultSchema>;

/**
 * One AI SDK UI message stream chunk (`text-delta`, `tool-input-available`, `data-plan`, ...).
 * Loose on purpose: new chunk types of the SDK must pass through old gateways untouched.
 * The gateway relays it byte for byte as an SSE data line; it never interprets it.
 */
export const UIChunkSchema = z.looseObject({ type: z.string().min(1).max(200) });
export type UIChunk = z.infer<typeof UIChunkSchema>;

/** Progress envelope (`task:progress`): facts about a task that are not part of the message. */
export const TaskProgressEventSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('status'), detail: z.enum(['thinking', 'tool', 'awaiting-approval', 'idle']) }),
  z.object({ kind: z.literal('usage'), usage: TokenUsageSchema }),
  z.object({ kind: z.literal('message-applied'), messageId: z.string(), injectionMode: InjectionModeSchema }),
]);
export type TaskProgressEvent = z.infer<typeof TaskProgressEventSchema>;
