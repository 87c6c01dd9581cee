import {
  createUIMessageStream,
  type LanguageModel,
  type LanguageModelUsage,
  type ModelMessage,
  type ToolSet,
  type UIMessageChunk,
  type UIMessageStreamWriter,
} from 'ai';
import { newId } from '../core/ids.ts';
import type { Logger } from '../core/logger.ts';
import type { TaskResult } from '../protocol/index.ts';
import type {
  AgentFollowUp,
  AgentTask,
  AgentTaskCallbacks,
  AgentTaskOutcome,
  AgentTaskRequest,
} from './agent-task.ts';
import { ApprovalGate } from './approval-gate.ts';
import { answerParts, steerDenialParts } from './approval-messages.ts';
import type { AutonomyPolicy } from './autonomy-policy.ts';
import type { BudgetGuard } from './budget.ts';
import { type EvidenceLog, recordUnreportedCall } from './evidence-log.ts';
import { InjectionQueue } from './injection-queue.ts';
import { runModel, type ToolEndEvent } from './model-run.ts';
import { buildReport, type ReportStatement, saveReport } from './report.ts';
import { REPORT_TOOL_NAME } from './report-tool.ts';
import { TaskOutlet, usageForWire } from './task-outlet.ts';

/** Everything a session needs, resolved and validated by createAgentTask. */
export interface SessionSetup {
  request: AgentTaskRequest;
  callbacks: AgentTaskCallbacks;
  logger: Logger;
  model: LanguageModel;
  system: string;
  tools: ToolSet;
  policy: AutonomyPolicy;
  budget: BudgetGuard;
  evidence: EvidenceLog;
  /** Never throws (createAgentTask wraps the tools' describeToolCall). */
  describeToolCall(name: string, input: unknown): string;
  reportPath: string;
  maxSteps: number;
  maxRetries: number;
  timeout: { firstChunkMs: number; chunkMs: number };
  stopGraceMs: number;
  now: () => Date;
  /** Aborted by stop(); the tools' processes watch the same signal. */
  stopController: AbortController;
}

type TurnEnd =
  | { kind: 'done'; finish: UIMessageChunk | undefined; text: string; finishReason: string | undefined }
  | { kind: 'error'; error: string }
  | { kind: 'stopped' };

/**
 * One task: a conversation of runs (one UI message each, `start` ... `finish`), follow-ups per
 * injection mode, tool approvals, stop, budgets and the final report. Chunks go out in order
 * through one UI message stream, so the tools' data parts interleave with the model's chunks.
 */
export class AgentSession implements AgentTask {
  readonly taskId: string;
  readonly done: Promise<AgentTaskOutcome>;
  private readonly setup: SessionSetup;
  private readonly queue = new InjectionQueue();
  private readonly approvals = new ApprovalGate();
  private readonly outlet: TaskOutlet;
  private conversation: ModelMessage[] = [];
  private writer: UIMessageStreamWriter | undefined;
  private accepting = true;
  private settled = false;
  private resolveDone!: (outcome: AgentTaskOutcome) => void;
  private stopReason: string | undefined;
  private budgetError: string | undefined;
  private statement: ReportStatement | undefined;
  private lastText = '';

  constructor(setup: SessionSetup) {
    this.setup = setup;
    this.taskId = setup.request.taskId;
    this.outlet = new TaskOutlet(setup.callbacks, setup.logger);
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
  }

  start(): this {
    this.run().catch((error: unknown) =>
      this.settle({ status: 'error', error: `agent failed: ${message(error)}` }),
    );
    return this;
  }

  send(followUp: AgentFollowUp): void {
    if (!this.accepting) {
      this.setup.logger.warn({ messageId: followUp.id }, 'follow-up after the task ended; ignored');
      return;
    }
    if (!this.queue.add(followUp)) return;
    this.setup.logger.info(
      { messageId: followUp.id, injectionMode: followUp.injectionMode },
      'follow-up queued',
    );
    if (followUp.injectionMode === 'steer') this.approvals.interrupt();
  }

  answerApproval(approvalId: string, approved: boolean, reason?: string): boolean {
    if (this.settled) return false;
    return this.approvals.answer(approvalId, approved, reason);
  }

  stop(reason: string): void {
    if (this.settled || this.stopReason !== undefined) return;
    this.stopReason = reason;
    this.accepting = false;
    this.setup.stopController.abort(new Error(reason));
    this.approvals.interrupt();
    // A tool that ignores its signal must not keep the task open forever.
    setTimeout(() => this.settle({ status: 'stopped', reason }), this.setup.stopGraceMs).unref();
  }

  /** Records a report statement from the report tool. */
  acceptStatement(statement: ReportStatement): void {
    this.statement = statement;
  }

  /** The tool context's `writeData`: a data part into the open UI message stream. */
  writeData(part: UIMessageChunk): void {
    this.writer?.write(part);
  }

  private async run(): Promise<void> {
    let outcome: AgentTaskOutcome | undefined;
    const stream = createUIMessageStream({
      execute: async ({ writer }) => {
        this.writer = writer;
        try {
          outcome = await this.runTurns();
        } catch (error) {
          outcome = { status: 'error', error: `agent failed: ${message(error)}` };
          writer.write({ type: 'error', errorText: outcome.error });
        } finally {
          this.writer = undefined;
        }
      },
      onError: (error) => message(error),
    });
    for await (const chunk of stream) this.outlet.chunk(chunk);
    this.settle(outcome ?? { status: 'error', error: 'agent ended without an outcome' });
  }

  private async runTurns(): Promise<AgentTaskOutcome> {
    const { request } = this.setup;
    this.conversation = [
      ...(request.messages ?? []).map(
        (item): ModelMessage =>
          item.role === 'user'
            ? { role: 'user', content: item.content }
            : { role: 'assistant', content: item.content },
      ),
      { role: 'user', content: request.goal },
    ];
    for (;;) {
      const end = await this.runTurn();
      if (end.kind !== 'done') {
        this.accepting = false;
        const outcome: AgentTaskOutcome =
          end.kind === 'stopped'
            ? { status: 'stopped', reason: this.stopReason ?? 'stopped' }
            : { status: 'error', error: end.error };
        await this.publishReport(outcome.status);
        return outcome;
      }
      this.lastText = end.text || this.lastText;
      const next = this.queue.takeNext();
      if (!next) {
        this.accepting = false;
        await this.publishReport('completed');
        this.write(end.finish);
        return { status: 'completed', result: this.result(end.finishReason) };
      }
      this.write(end.finish);
      this.conversation.push({ role: 'user', content: next.text });
      for (const item of next.messages) {
        this.outlet.progress({
          kind: 'message-applied',
          messageId: item.id,
          injectionMode: item.injectionMode,
        });
      }
    }
  }

  /** One run: model calls until the model is done, interrupted by waits for the operator. */
  private async runTurn(): Promise<TurnEnd> {
    const messageId = newId('message');
    let sendStart = true;
    let steps = 0;
    let text = '';
    for (;;) {
      const budgetError = this.setup.budget.check();
      if (budgetError) return this.failTurn(budgetError, sendStart ? messageId : undefined);
      const result = await runModel({
        model: this.setup.model,
        system: this.setup.system,
        messages: this.conversation,
        tools: this.setup.tools,
        approve: (toolName, input) => this.setup.policy(toolName, input),
        maxSteps: Math.max(1, this.setup.maxSteps - steps),
        signal: this.setup.stopController.signal,
        shouldStop: () => this.queue.hasSteer() || this.budgetReached(),
        sendStart,
        messageId,
        maxRetries: this.setup.maxRetries,
        timeout: this.setup.timeout,
        write: (chunk) => this.write(chunk),
        onApprovalRequest: (approval) => this.approvals.request(approval),
        onStepStart: () => this.outlet.status('thinking'),
        onStepEnd: (usage) => this.recordUsage(usage),
        onToolStart: () => this.outlet.status('tool'),
        onToolEnd: (event) => this.recordToolEnd(event),
      });
      sendStart = false;
      steps += result.steps;
      text = result.text || text;
      this.conversation.push(...result.responseMessages);
      if (this.stopReason !== undefined) {
        if (!result.aborted) this.write({ type: 'abort', reason: this.stopReason });
        return { kind: 'stopped' };
      }
      if (result.error) return { kind: 'error', error: result.error };
      if (result.aborted)
        return this.failTurn(`the model provider stopped responding: ${result.aborted}`, undefined);
      if (this.budgetError) return this.failTurn(this.budgetError, undefined);
      if (result.approvals.length === 0) {
        return { kind: 'done', finish: result.finish, text, finishReason: result.finishReason };
      }
      this.outlet.status('awaiting-approval');
      if (!this.queue.hasSteer()) await this.approvals.wait();
      if (this.stopReason !== undefined) {
        this.approvals.takeRequests();
        this.write({ type: 'abort', reason: this.stopReason });
        return { kind: 'stopped' };
      }
      if (this.approvals.waiting > 0 && this.queue.hasSteer()) {
        this.apply(steerDenialParts(this.approvals.takeRequests()));
        return { kind: 'done', finish: result.finish, text, finishReason: result.finishReason };
      }
      this.apply(answerParts(this.approvals.takeAnswers()));
    }
  }

  /** Streams the parts and adds the tool message to the conversation. */
  private apply(parts: { chunks: UIMessageChunk[]; message: ModelMessage }): void {
    for (const chunk of parts.chunks) this.write(chunk);
    this.conversation.push(parts.message);
  }

  private failTurn(error: string, openMessageId: string | undefined): TurnEnd {
    if (openMessageId) this.write({ type: 'start', messageId: openMessageId });
    this.write({ type: 'error', errorText: error });
    return { kind: 'error', error };
  }

  private budgetReached(): boolean {
    this.budgetError ??= this.setup.budget.check();
    return this.budgetError !== undefined;
  }

  private recordUsage(usage: LanguageModelUsage): void {
    try {
      this.outlet.usage(this.setup.budget.record(usage));
    } catch (error) {
      this.setup.logger.warn({ error: message(error) }, 'recording usage failed');
    }
  }

  private recordToolEnd(event: ToolEndEvent): void {
    if (event.toolName === REPORT_TOOL_NAME) return;
    const input = this.setup.describeToolCall(event.toolName, event.input);
    recordUnreportedCall(this.setup.evidence, { ...event, tool: event.toolName, input });
  }

  private async publishReport(status: 'completed' | 'error' | 'stopped'): Promise<void> {
    const report = buildReport({
      taskId: this.taskId,
      status,
      statement: this.statement,
      log: this.setup.evidence,
      finalText: this.lastText,
      now: this.setup.now(),
    });
    try {
      await saveReport(this.setup.reportPath, report);
    } catch (error) {
      this.setup.logger.warn({ error: message(error) }, 'saving the report failed');
    }
    this.write({ type: 'data-report', id: 'report', data: report });
  }

  private result(finishReason: string | undefined): TaskResult {
    const usage = usageForWire(this.setup.budget.taskUsage);
    return { text: this.lastText, ...(finishReason ? { finishReason } : {}), usage };
  }

  private write(chunk: UIMessageChunk | undefined): void {
    if (chunk) this.writer?.write(chunk);
  }

  private settle(outcome: AgentTaskOutcome): void {
    if (this.settled) return;
    this.settled = true;
    this.accepting = false;
    this.outlet.close();
    this.setup.logger.info({ status: outcome.status }, 'task ended');
    this.resolveDone(outcome);
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
}
