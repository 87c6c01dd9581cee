import { z } from 'zod';
import { LIMITS } from './limits.ts';
import { NameFilterSchema, NextCursorSchema, PAGE_LIMITS, PageCursorSchema } from './pagination.ts';
import { TaskMessageViewSchema, TaskViewSchema, ViberViewSchema } from './rest.ts';
import type { RouteName } from './rest-routes.ts';
import { AutonomyModeSchema, ModelRefSchema, TaskStatusSchema } from './task.ts';
import { ApprovalAnswerResponseSchema } from './task-api.ts';
import { TaskReportSchema } from './ui-data-parts.ts';
import { ViberPresenceSchema } from './viber-info.ts';

/**
 * The gateway as an MCP server (docs/mcp.md): Streamable HTTP at GATEWAY_MCP_PATH, one tool per
 * thing an operator does with a task. Each tool names the REST route it stands for: it takes that
 * route's scope from the route table, so a token may do over MCP exactly what it may over REST.
 * Arguments are strict objects (an unknown argument is refused, naming it); results are the
 * structured content of the tool's answer, beside a text for the model.
 */

export const GATEWAY_MCP_PATH = '/mcp';

const TaskIdSchema = z
  .string()
  .min(1)
  .max(200)
  .describe('The task id (task_…), as create_task or get_task gave it.');

/** The seq of a task's stream: every event of a task is numbered 1, 2, 3, … */
const SeqSchema = z.number().int().min(0).max(999_999_999_999_999);

export const GatewayMcpListVibersInputSchema = z.strictObject({
  limit: z
    .number()
    .int()
    .min(1)
    .max(PAGE_LIMITS.max)
    .optional()
    .describe(`Vibers per page: 1 to ${PAGE_LIMITS.max}, default ${PAGE_LIMITS.default}.`),
  cursor: PageCursorSchema.optional().describe('The nextCursor of the previous page, to read the next one.'),
  presence: ViberPresenceSchema.optional().describe(
    'Only vibers that are online (connected, idle), busy (running a task) or offline.',
  ),
  q: NameFilterSchema.optional().describe('Only vibers whose name contains this (ASCII case ignored).'),
});

export const GatewayMcpCreateTaskInputSchema = z.strictObject({
  goal: z
    .string()
    .trim()
    .min(1)
    .max(LIMITS.maxMessageChars)
    .describe("What the agent should do, in plain words: the task's first message."),
  viberId: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe(
      'The viber (machine) to run on, from list_vibers. May be left out when exactly one viber is registered, or when `environment` chooses one.',
    ),
  environment: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .describe(
      "An environment's id or name: the task runs on a viber where that environment (repository, setup script, secrets) is prepared.",
    ),
  mode: AutonomyModeSchema.optional().describe(
    "How much the agent may do without asking: always-ask (every tool call waits for answer_approval, reads included; only the plan and the report do not), agent-decides (writes and commands wait), always-execute (nothing waits). Default: the viber's configuration, else agent-decides.",
  ),
  model: ModelRefSchema.optional().describe(
    "provider/model, e.g. openai/gpt-4.1; default: the viber's configured model.",
  ),
  cwd: z
    .string()
    .min(1)
    .max(4096)
    .optional()
    .describe("Working directory on the viber; default: the task's own folder in the viber's workspace."),
  maxSteps: z.number().int().min(1).max(1000).optional().describe('Upper bound on model calls per run.'),
  idempotencyKey: z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/, 'must be 1 to 255 visible ASCII characters')
    .optional()
    .describe(
      'Any string you choose: calling again with the same key and the same arguments returns the task the first call created instead of starting another (keys are kept 24 hours, per device).',
    ),
});
export type GatewayMcpCreateTaskInput = z.infer<typeof GatewayMcpCreateTaskInputSchema>;

const TaskOnlyInputSchema = z.strictObject({ taskId: TaskIdSchema });

export const GatewayMcpWaitForTaskInputSchema = z.strictObject({
  taskId: TaskIdSchema,
  timeoutSeconds: z
    .number()
    .int()
    .min(1)
    .max(600)
    .optional()
    .describe(
      'How long to wait at most: 1 to 600 seconds, default 50 (below the 60-second request timeout many MCP clients keep).',
    ),
});

export const GatewayMcpFollowTaskInputSchema = z.strictObject({
  taskId: TaskIdSchema,
  after: SeqSchema.optional().describe(
    'The cursor a previous follow_task answered: only events after it are read. Default 0, the start of the task.',
  ),
  maxEvents: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .optional()
    .describe('Stream events to read at most in this call: 1 to 1000, default 500.'),
});

export const GatewayMcpAnswerApprovalInputSchema = z.strictObject({
  taskId: TaskIdSchema,
  approvalId: z
    .string()
    .regex(/^[\x21-\x7e]{1,200}$/, 'must be 1 to 200 visible ASCII characters')
    .describe('The approvalId of a pending approval, as get_task, wait_for_task or follow_task showed it.'),
  approved: z
    .boolean()
    .describe('true runs the tool call; false denies it (the agent is told, and carries on).'),
  reason: z.string().max(2000).optional().describe('Why, for the agent (mostly useful with a denial).'),
});

/** A tool call of a task that waits for the operator's answer. */
export const GatewayMcpPendingApprovalSchema = z.object({
  approvalId: z.string(),
  toolCallId: z.string().nullable(),
  /** The tool the agent wants to run, when the stream named it. */
  toolName: z.string().nullable(),
  /** Its input as the agent gave it. */
  input: z.unknown(),
});
export type GatewayMcpPendingApproval = z.infer<typeof GatewayMcpPendingApprovalSchema>;

export const GatewayMcpListVibersResultSchema = z.object({
  vibers: z.array(ViberViewSchema),
  nextCursor: NextCursorSchema,
});

export const GatewayMcpTaskResultSchema = z.object({ task: TaskViewSchema });

export const GatewayMcpCreateTaskResultSchema = z.object({
  task: TaskViewSchema,
  /** True when an earlier call with the same idempotencyKey created the task. */
  replayed: z.boolean(),
});

export const GatewayMcpGetTaskResultSchema = z.object({
  task: TaskViewSchema,
  pendingApprovals: z.array(GatewayMcpPendingApprovalSchema),
  messages: z.array(TaskMessageViewSchema),
});

export const GatewayMcpWaitOutcomeSchema = z.enum(['finished', 'awaiting-approval', 'timeout']);
export type GatewayMcpWaitOutcome = z.infer<typeof GatewayMcpWaitOutcomeSchema>;

export const GatewayMcpWaitForTaskResultSchema = z.object({
  task: TaskViewSchema,
  outcome: GatewayMcpWaitOutcomeSchema,
  /** The task's final answer once it completed, else null. */
  answer: z.string().nullable(),
  pendingApprovals: z.array(GatewayMcpPendingApprovalSchema),
});

export const GatewayMcpFollowTaskResultSchema = z.object({
  taskId: z.string(),
  status: TaskStatusSchema,
  /** The cursor this call read after. */
  after: SeqSchema,
  /** The seq of the last event read: pass it as `after` next time. */
  cursor: SeqSchema,
  /** Events read in this call. */
  events: z.number().int(),
  text: z.string(),
  /** True when more events are already stored after `cursor`. */
  more: z.boolean(),
  /** True once the task has ended and every event of it was read. */
  ended: z.boolean(),
});

/** What a tool stands for and how it is described to the model. */
export interface GatewayMcpTool {
  title: string;
  description: string;
  /** The REST route whose scope (in the route table) the tool needs. */
  route: RouteName;
  input: z.ZodObject;
  result: z.ZodObject;
  /** Changes nothing (MCP's readOnlyHint). */
  readOnly: boolean;
  /** May end something for good (MCP's destructiveHint). */
  destructive?: boolean;
}

export const GATEWAY_MCP_TOOLS = {
  list_vibers: {
    title: 'List vibers',
    description:
      'Lists the vibers (machines that run agent tasks) registered with this OpenViber gateway, a page at a time, by name, each with its presence: online (connected and idle), busy (running a task) or offline. Use an id from here as create_task.viberId.',
    route: 'vibers.list',
    input: GatewayMcpListVibersInputSchema,
    result: GatewayMcpListVibersResultSchema,
    readOnly: true,
  },
  create_task: {
    title: 'Create a task',
    description:
      'Starts an agent task on a viber: the agent works toward the goal with real tools (shell, files, web) on that machine. Answers at once with the task (status pending until the viber takes it); then call wait_for_task for the final answer, or follow_task to read its progress. Give an idempotencyKey when you may retry, so a retry never starts a second task.',
    route: 'tasks.create',
    input: GatewayMcpCreateTaskInputSchema,
    result: GatewayMcpCreateTaskResultSchema,
    readOnly: false,
  },
  get_task: {
    title: 'Get a task',
    description:
      "A task's state: status (pending, running, completed, error, stopped), its final answer or error, token usage, the follow-up messages, and the tool calls waiting for your approval (answer them with answer_approval).",
    route: 'tasks.get',
    input: TaskOnlyInputSchema,
    result: GatewayMcpGetTaskResultSchema,
    readOnly: true,
  },
  wait_for_task: {
    title: 'Wait for a task',
    description:
      "Waits until the task ends, a tool call of it waits for your approval, or timeoutSeconds pass, whichever comes first, and says which (outcome finished, awaiting-approval or timeout). Once finished it returns the task's final answer. Sends progress notifications while it waits when the request asks for them (a progressToken). After a timeout, call it again.",
    route: 'tasks.get',
    input: GatewayMcpWaitForTaskInputSchema,
    result: GatewayMcpWaitForTaskResultSchema,
    readOnly: true,
  },
  follow_task: {
    title: "Follow a task's stream",
    description:
      "Reads the task's stream after a cursor as text: the agent's words, its tool calls and their results (shortened), approvals asked, plan updates and errors. Answers at once with what is stored; poll by passing the returned cursor as `after` next time, until ended is true.",
    route: 'tasks.stream',
    input: GatewayMcpFollowTaskInputSchema,
    result: GatewayMcpFollowTaskResultSchema,
    readOnly: true,
  },
  answer_approval: {
    title: 'Answer an approval',
    description:
      'Approves or denies a tool call a task waits on (its approvalId from get_task, wait_for_task or follow_task). Refused when the task never asked for that approval, when it was already answered, or when the task has ended.',
    route: 'tasks.approve',
    input: GatewayMcpAnswerApprovalInputSchema,
    result: ApprovalAnswerResponseSchema,
    readOnly: false,
  },
  get_report: {
    title: "Get a task's report",
    description:
      "The report that ends a task: a summary and the agent's claims, each verified only when it cites a tool call whose recorded evidence (command output, file hash, URL status) shows success, else unverified with the reason. Not found until the task has written it.",
    route: 'tasks.report',
    input: TaskOnlyInputSchema,
    result: TaskReportSchema,
    readOnly: true,
  },
  stop_task: {
    title: 'Stop a task',
    description:
      'Stops a task: at once when its viber has not taken it or is offline, otherwise the viber stops it and the task ends as stopped. Refused when the task already ended.',
    route: 'tasks.stop',
    input: TaskOnlyInputSchema,
    result: GatewayMcpTaskResultSchema,
    readOnly: false,
    destructive: true,
  },
} as const satisfies Record<string, GatewayMcpTool>;

export type GatewayMcpToolName = keyof typeof GATEWAY_MCP_TOOLS;
export const GATEWAY_MCP_TOOL_NAMES = Object.keys(GATEWAY_MCP_TOOLS) as readonly GatewayMcpToolName[];
export type GatewayMcpToolInput<N extends GatewayMcpToolName> = z.output<
  (typeof GATEWAY_MCP_TOOLS)[N]['input']
>;
export type GatewayMcpToolResult<N extends GatewayMcpToolName> = z.input<
  (typeof GATEWAY_MCP_TOOLS)[N]['result']
>;

/** The tool named, when the gateway has one by that name. */
export function gatewayMcpTool(name: string): (typeof GATEWAY_MCP_TOOLS)[GatewayMcpToolName] | undefined {
  return Object.hasOwn(GATEWAY_MCP_TOOLS, name) ? GATEWAY_MCP_TOOLS[name as GatewayMcpToolName] : undefined;
}
