import type { LanguageModel, LanguageModelUsage, ModelMessage, ToolSet, UIMessageChunk } from 'ai';
import { newId } from '../core/ids.ts';
import type { Logger } from '../core/logger.ts';
import type { TaskResult } from '../protocol/index.ts';
import {
  type AgentCheckpoint,
  type AgentFollowUp,
  type AgentResume,
  type AgentTask,
  type AgentTaskCallbacks,
  type AgentTaskOutcome,
  type AgentTaskRequest,
  SUSPENDED_REASON,
} from './agent-task.ts';
import { ApprovalGate, type PendingApproval } from './approval-gate.ts';
import { answerParts, steerDenialParts } from './approval-messages.ts';
import type { AutonomyPolicy } from './autonomy-policy.ts';
import type { BudgetGuard } from './budget.ts';
import { type EvidenceLog, recordUnreportedCall } from './evidence-log.ts';
import { InjectionQueue } from './injection-queue.ts';
import { runModel, type ToolEndEvent } from './model-run.ts';
import { buildReport, type ReportStatement, saveReport } from './report.ts';
import { REPORT_TOOL_NAME } from './report-tool.ts';
import { TaskOutlet, usageForWire } from './task-outlet.ts';
import type { Evidence } from './tools/tool-context.ts';
import type { UsageTotals } from './usage-store.ts';

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
  /**
   * Runs before the first model call when some tools come later (MCP servers being connected):
   * the task's tools, prompt and policy with them, and chunks to stream once its message is open.
   */
  prepare?(): Promise<Pick<SessionSetup, 'tools' | 'system' | 'policy'> & { notes: UIMessageChunk[] }>;
}

/** What the model is told of a tool call that was running when the viber's process ended. */
export const INTERRUPTED_TOOL_RESULT =
  'interrupted: the viber restarted while this ran; whether it took effect is unknown — check before running it again';

type TurnEnd =
  | { kind: 'done'; finish: UIMessageChunk | undefined; text: string; finishReason: string | undefined }
  | { kind: 'error'; error: string }
  | { kind: 'stopped' }
  | { kind: 'suspended' };

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
  /** Open while the task runs: hands each chunk to the outlet as it is written. */
  private writer: { write(chunk: UIMessageChunk): void } | undefined;
  private accepting = true;
  private settled = false;
  private resolveDone!: (outcome: AgentTaskOutcome) => void;
  private stopReason: string | undefined;
  private suspending = false;
  private budgetError: string | undefined;
  private statement: ReportStatement | undefined;
  private lastText = '';
  /** Written with the task's first chunk (after its `start`): what `prepare` had to say. */
  private notes: UIMessageChunk[] = [];

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

  suspend(): void {
    if (this.settled || this.stopReason !== undefined) return;
    this.suspending = true;
    this.accepting = false;
    this.approvals.interrupt();
  }

  /** Records a report statement from the report tool. */
  acceptStatement(statement: ReportStatement): void {
    this.statement = statement;
  }

  /** The tool context's `writeData`: a data part into the open UI message stream. */
  writeData(part: UIMessageChunk): void {
    this.writer?.write(part);
  }

  /**
   * Every chunk (the model's, the tools' data parts, the agent's own) goes to the outlet as it is
   * written, in the order written: one writer per task, with no stream between the agent and the
   * daemon to queue them.
   */
  private async run(): Promise<void> {
    let outcome: AgentTaskOutcome;
    const writer = { write: (chunk: UIMessageChunk) => this.outlet.chunk(chunk) };
    this.writer = writer;
    try {
      if (this.setup.prepare) {
        const { notes, ...prepared } = await this.setup.prepare();
        Object.assign(this.setup, prepared);
        this.notes = notes;
      }
      outcome = await this.runTurns();
    } catch (error) {
      outcome = { status: 'error', error: `agent failed: ${message(error)}` };
      writer.write({ type: 'error', errorText: outcome.error });
    } finally {
      this.writer = undefined;
    }
    this.settle(outcome);
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
    let resumed = request.resume ? this.resume(request.resume) : undefined;
    if (!resumed) this.checkpoint();
    // A run that had ended before the restart (its answer is the last message) is not run again.
    let ended = resumed !== undefined && this.runEnded(resumed.approvals);
    for (;;) {
      const end: TurnEnd = ended
        ? { kind: 'done', finish: { type: 'finish' }, text: this.lastText, finishReason: undefined }
        : await this.runTurn(resumed);
      resumed = undefined;
      ended = false;
      if (end.kind === 'suspended' || (end.kind === 'done' && this.suspending)) {
        // Not over: the next process resumes from the last checkpoint, so no report, no finish.
        this.accepting = false;
        return { status: 'stopped', reason: SUSPENDED_REASON };
      }
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
      // A delegated child's end (docs/delegation.md): its usage joins the task's with its message,
      // in the same checkpoint.
      for (const item of next.messages) if (item.childUsage) this.setup.budget.addChildUsage(item.childUsage);
      this.checkpoint();
      for (const item of next.messages) {
        this.outlet.progress({
          kind: 'message-applied',
          messageId: item.id,
          injectionMode: item.injectionMode,
        });
      }
    }
  }

  /**
   * Picks the task up where its last checkpoint left it (a restarted daemon): restores the
   * conversation, usage and evidence, marks the restart in the stream, and tells the model of
   * every tool call that was running when the process ended instead of running it again.
   */
  private resume(resume: AgentResume): { messageId: string; sendStart: false; approvals: PendingApproval[] } {
    const checkpoint = resume.checkpoint;
    if (checkpoint) {
      this.conversation = checkpoint.messages as ModelMessage[];
      this.setup.budget.restore(checkpoint.usage as UsageTotals);
      for (const item of checkpoint.evidence) this.setup.evidence.add(item as Evidence);
      if (checkpoint.statement) this.statement = checkpoint.statement as ReportStatement;
      this.lastText = checkpoint.lastText;
    }
    const messageId = newId('message');
    if (!resume.messageOpen) this.write({ type: 'start', messageId });
    const waiting = new Set((checkpoint?.approvals ?? []).map((approval) => approval.toolCallId));
    const interrupted = resume.interrupted.filter((call) => !waiting.has(call.toolCallId));
    this.write({
      type: 'data-viber-restarted',
      data: {
        at: this.setup.now().toISOString(),
        interruptedToolCalls: interrupted.map((call) => call.toolCallId),
      },
    } as UIMessageChunk);
    for (const call of interrupted) {
      this.write({
        type: 'tool-output-error',
        toolCallId: call.toolCallId,
        errorText: INTERRUPTED_TOOL_RESULT,
      });
      this.addInterruptedResult(call);
    }
    for (const approval of checkpoint?.approvals ?? []) this.approvals.request(approval);
    for (const followUp of resume.followUps ?? []) this.queue.add(followUp);
    this.checkpoint(checkpoint?.approvals ?? []);
    this.setup.logger.info(
      { interrupted: interrupted.length, approvals: checkpoint?.approvals.length ?? 0 },
      'task resumed after a restart',
    );
    return { messageId, sendStart: false, approvals: checkpoint?.approvals ?? [] };
  }

  /** True when the conversation ends with the model's answer: the run had ended. */
  private runEnded(approvals: PendingApproval[]): boolean {
    const last = this.conversation.at(-1);
    if (approvals.length > 0 || last?.role !== 'assistant') return false;
    return typeof last.content === 'string' || !last.content.some((part) => part.type === 'tool-call');
  }

  /** The interrupted call's result for the model: in the last tool message when there is one. */
  private addInterruptedResult(call: AgentResume['interrupted'][number]): void {
    const known = this.conversation.some(
      (message) =>
        message.role === 'assistant' &&
        Array.isArray(message.content) &&
        message.content.some((part) => part.type === 'tool-call' && part.toolCallId === call.toolCallId),
    );
    if (!known) {
      this.conversation.push({
        role: 'assistant',
        content: [
          { type: 'tool-call', toolCallId: call.toolCallId, toolName: call.toolName, input: call.input },
        ],
      });
    }
    const result = {
      type: 'tool-result' as const,
      toolCallId: call.toolCallId,
      toolName: call.toolName,
      output: { type: 'error-text' as const, value: INTERRUPTED_TOOL_RESULT },
    };
    const last = this.conversation.at(-1);
    if (last?.role === 'tool') last.content.push(result);
    else this.conversation.push({ role: 'tool', content: [result] });
  }

  /** Hands where the task stands to whoever may resume it (the daemon keeps it on disk). */
  private checkpoint(approvals: PendingApproval[] = [], messages: ModelMessage[] = this.conversation): void {
    const save = this.setup.callbacks.onCheckpoint;
    if (!save) return;
    const checkpoint: AgentCheckpoint = {
      messages,
      approvals: approvals.map(({ approvalId, toolCallId, toolName }) => ({
        approvalId,
        toolCallId,
        toolName,
      })),
      usage: this.setup.budget.taskUsage,
      evidence: this.setup.evidence.all(),
      ...(this.statement ? { statement: this.statement } : {}),
      lastText: this.lastText,
    };
    try {
      save(checkpoint);
    } catch (error) {
      this.setup.logger.warn({ error: message(error) }, 'saving the checkpoint failed');
    }
  }

  /** One run: model calls until the model is done, interrupted by waits for the operator. */
  private async runTurn(resumed?: {
    messageId: string;
    sendStart: false;
    approvals: PendingApproval[];
  }): Promise<TurnEnd> {
    const messageId = resumed?.messageId ?? newId('message');
    let sendStart = !resumed;
    let steps = 0;
    let text = '';
    if (resumed && resumed.approvals.length > 0) {
      // Approvals that waited when the viber restarted still wait, under the same ids.
      const end = await this.awaitAnswers({ type: 'finish' }, text, undefined);
      if (end) return end;
    }
    for (;;) {
      if (this.suspending) return { kind: 'suspended' };
      const budgetError = this.setup.budget.check();
      if (budgetError) return this.failTurn(budgetError, sendStart ? messageId : undefined);
      // Each completed step is a checkpoint, except in a run that first executes approved calls
      // (their results are in no step's messages).
      const stepCheckpoints = this.conversation.at(-1)?.role !== 'tool';
      const runMessages: ModelMessage[] = [];
      const result = await runModel({
        model: this.setup.model,
        system: this.setup.system,
        messages: this.conversation,
        tools: this.setup.tools,
        approve: (toolName, input) => this.setup.policy(toolName, input),
        maxSteps: Math.max(1, this.setup.maxSteps - steps),
        signal: this.setup.stopController.signal,
        shouldStop: () => this.suspending || this.queue.hasSteer() || this.budgetReached(),
        sendStart,
        messageId,
        maxRetries: this.setup.maxRetries,
        timeout: this.setup.timeout,
        write: (chunk) => this.write(chunk),
        onApprovalRequest: (approval) => this.approvals.request(approval),
        onStepStart: () => this.outlet.status('thinking'),
        onStepEnd: (usage, messages) => {
          this.recordUsage(usage);
          const stepText = assistantText(messages);
          if (stepText) this.lastText = stepText;
          if (!stepCheckpoints) return;
          runMessages.push(...messages);
          this.checkpoint([], [...this.conversation, ...runMessages]);
        },
        onToolStart: () => this.outlet.status('tool'),
        onToolEnd: (event) => this.recordToolEnd(event),
      });
      sendStart = false;
      steps += result.steps;
      text = result.text || text;
      this.lastText = result.text || this.lastText;
      this.conversation.push(...result.responseMessages);
      this.checkpoint(result.approvals);
      if (this.stopReason !== undefined) {
        if (!result.aborted) this.write({ type: 'abort', reason: this.stopReason });
        return { kind: 'stopped' };
      }
      if (result.error) return { kind: 'error', error: result.error };
      if (this.suspending) return { kind: 'suspended' };
      if (result.aborted)
        return this.failTurn(`the model provider stopped responding: ${result.aborted}`, undefined);
      if (this.budgetError) return this.failTurn(this.budgetError, undefined);
      if (result.approvals.length === 0) {
        return { kind: 'done', finish: result.finish, text, finishReason: result.finishReason };
      }
      const end = await this.awaitAnswers(result.finish, text, result.finishReason);
      if (end) return end;
    }
  }

  /** Waits for the operator's answers and applies them; a TurnEnd when the run ends there. */
  private async awaitAnswers(
    finish: UIMessageChunk | undefined,
    text: string,
    finishReason: string | undefined,
  ): Promise<TurnEnd | undefined> {
    this.outlet.status('awaiting-approval');
    if (!this.queue.hasSteer()) await this.approvals.wait();
    if (this.stopReason !== undefined) {
      this.approvals.takeRequests();
      this.write({ type: 'abort', reason: this.stopReason });
      return { kind: 'stopped' };
    }
    if (this.suspending) return { kind: 'suspended' };
    if (this.approvals.waiting > 0 && this.queue.hasSteer()) {
      this.apply(steerDenialParts(this.approvals.takeRequests()));
      return { kind: 'done', finish, text, finishReason };
    }
    this.apply(answerParts(this.approvals.takeAnswers()));
    return undefined;
  }

  /** Streams the parts and adds the tool message to the conversation. */
  private apply(parts: { chunks: UIMessageChunk[]; message: ModelMessage }): void {
    for (const chunk of parts.chunks) this.write(chunk);
    this.conversation.push(parts.message);
    this.checkpoint();
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
    if (!chunk) return;
    const notes = this.notes;
    this.notes = [];
    // Notes belong inside a message: after its `start`, or first in a message a restart left open.
    if (chunk.type !== 'start') for (const note of notes) this.writer?.write(note);
    this.writer?.write(chunk);
    if (chunk.type === 'start') for (const note of notes) this.writer?.write(note);
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

/** The text a step's assistant message says (empty for a step of tool calls only). */
function assistantText(messages: ModelMessage[]): string {
  let text = '';
  for (const item of messages) {
    if (item.role !== 'assistant') continue;
    if (typeof item.content === 'string') text += item.content;
    else for (const part of item.content) if (part.type === 'text') text += part.text;
  }
  return text;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
}
