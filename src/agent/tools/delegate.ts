import { z } from 'zod';
import {
  type AutonomyMode,
  AutonomyModeSchema,
  type ChildOutcome,
  type TaskBudget,
  type TokenUsage,
} from '../../protocol/index.ts';
import type { AgentFollowUp } from '../agent-task.ts';
import { type DelegationPort, DelegationRefused } from '../delegation.ts';
import { type DefinedTool, defineTool, inputText } from './define-tool.ts';
import { ToolError } from './tool-error.ts';

export const DELEGATE_TOOL_NAME = 'delegate';
export const DELEGATE_TOOL_SUMMARY = 'Start a child task on this or another viber; get its answer and report';

const DESCRIPTION = `Delegate part of the work to a child task: a new agent with its own goal, on this viber or another one (by name, by capability, or where an environment is ready).
- goal: everything the child needs to know; it does not see this conversation.
- wait (default true): wait for the child and get its final answer and report. With wait=false you get the child's id at once and its answer arrives later as a message.
- The child never gets more autonomy than this task, and spends from this task's budget.
- Delegation is limited in depth and in number per tree of tasks: when refused, do the work yourself.`;

export const DelegateInputSchema = z.strictObject({
  goal: z.string().trim().min(1).max(100_000).describe('What the child task must do, self-contained'),
  mode: AutonomyModeSchema.optional().describe('The child autonomy; never more than this task has'),
  viber: z.string().min(1).max(200).optional().describe("A viber's id or name (default: this viber)"),
  capability: z.string().min(1).max(100).optional().describe('A capability the viber must have'),
  environmentId: z.string().min(1).max(200).optional().describe('An environment (id or name) to run in'),
  wait: z.boolean().default(true).describe('Wait for the answer (true) or continue at once (false)'),
});

/** What the model gets back. */
export interface DelegateResult {
  childTaskId: string;
  viber: string;
  mode: AutonomyMode;
  status: 'started' | ChildOutcome['status'];
  answer?: string;
  error?: string | null;
  report?: ChildOutcome['report'];
  note?: string;
}

export interface DelegateToolOptions {
  port: DelegationPort;
  /** The task's effective mode: the child gets no more. */
  mode: AutonomyMode;
  budget: { remaining(): TaskBudget | undefined; addChildUsage(usage: TokenUsage): unknown };
}

/**
 * The delegate tool (docs/delegation.md). An `execute` tool for the autonomy policy: it starts
 * work elsewhere, so it asks in always-ask and agent-decides. Its call id is the request id: asked
 * again after a reconnect, the gateway starts no second child.
 */
export function createDelegateTool({ port, mode, budget }: DelegateToolOptions): DefinedTool {
  return defineTool<typeof DelegateInputSchema, DelegateResult>({
    name: DELEGATE_TOOL_NAME,
    kind: 'execute',
    summary: DELEGATE_TOOL_SUMMARY,
    description: DESCRIPTION,
    inputSchema: DelegateInputSchema,
    describe: (input) => {
      const where =
        inputText(input, 'viber') || inputText(input, 'capability') || inputText(input, 'environmentId');
      return `delegate${where ? ` to ${where}` : ''}: ${inputText(input, 'goal')}`;
    },
    isOk: (result) => result.status === 'completed' || result.status === 'started',
    excerpt: (result) =>
      `${result.status} ${result.childTaskId} on ${result.viber}: ${result.answer ?? result.error ?? ''}`,
    async execute(input, run) {
      const remaining = budget.remaining();
      let child: Awaited<ReturnType<DelegationPort['start']>>;
      try {
        child = await port.start(
          {
            requestId: run.toolCallId,
            goal: input.goal,
            parentMode: mode,
            ...(input.mode ? { mode: input.mode } : {}),
            ...(input.viber ? { viber: input.viber } : {}),
            ...(input.capability ? { capability: input.capability } : {}),
            ...(input.environmentId ? { environmentId: input.environmentId } : {}),
            ...(remaining ? { budget: remaining } : {}),
          },
          { signal: run.signal, wait: input.wait },
        );
      } catch (error) {
        throw refusal(error);
      }
      const base = {
        childTaskId: child.childTaskId,
        viber: child.viberName || child.viberId,
        mode: child.mode,
      };
      if (!input.wait) {
        return {
          ...base,
          status: 'started',
          note: 'The child runs on; its answer and report will arrive as a message when it ends.',
        };
      }
      let outcome: ChildOutcome;
      try {
        outcome = await port.waitForEnd(run.toolCallId, run.signal);
      } catch (error) {
        throw refusal(error);
      }
      if (outcome.usage) budget.addChildUsage(outcome.usage);
      return {
        ...base,
        status: outcome.status,
        answer: outcome.answer,
        ...(outcome.error ? { error: outcome.error } : {}),
        report: outcome.report,
      };
    },
  });
}

function refusal(error: unknown): ToolError {
  if (DelegationRefused.isInstance(error)) {
    if (error.code === 'aborted') return new ToolError('aborted', error.message);
    return new ToolError('failed', `delegation refused (${error.code}): ${error.message}`);
  }
  return new ToolError(
    'failed',
    `delegation failed: ${error instanceof Error ? error.message : String(error)}`,
  );
}

/**
 * A child's end as the follow-up its parent gets when nobody waited for it (`collect`: it joins
 * the messages waiting for the next turn). Its id is the child's: delivered twice, taken once.
 */
export function childEndFollowUp(outcome: ChildOutcome): AgentFollowUp {
  return {
    id: `child-${outcome.childTaskId}`,
    text: childEndMessage(outcome),
    injectionMode: 'collect',
    ...(outcome.usage ? { childUsage: outcome.usage } : {}),
  };
}

/** A child's end as the text of that follow-up. */
export function childEndMessage(outcome: ChildOutcome): string {
  const lines = [
    `[delegated task ${outcome.childTaskId} ${outcome.status}]`,
    ...(outcome.answer ? [`Answer: ${outcome.answer}`] : []),
    ...(outcome.error ? [`Error: ${outcome.error}`] : []),
    ...(outcome.report
      ? [
          `Report: ${outcome.report.summary}`,
          ...outcome.report.claims.map((claim) => `- [${claim.status}] ${claim.text}`),
        ]
      : []),
  ];
  return lines.join('\n').slice(0, 100_000);
}
