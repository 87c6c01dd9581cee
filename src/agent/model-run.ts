import {
  isStepCount,
  type LanguageModel,
  type LanguageModelUsage,
  type ModelMessage,
  experimental_streamTextLowMemory as streamText,
  type ToolApprovalStatus,
  type ToolSet,
  toUIMessageStream,
  type UIMessageChunk,
} from 'ai';
import type { PendingApproval } from './approval-gate.ts';
import { describeModelError } from './model-errors.ts';

export interface ToolEndEvent {
  toolCallId: string;
  toolName: string;
  input: unknown;
  output: unknown;
  failed: boolean;
}

export interface ModelRunRequest {
  model: LanguageModel;
  system: string;
  messages: ModelMessage[];
  tools: ToolSet;
  approve(toolName: string, input: unknown): ToolApprovalStatus | Promise<ToolApprovalStatus>;
  maxSteps: number;
  signal: AbortSignal;
  /** Asked between steps (after a step's tool calls finished): true ends the run there. */
  shouldStop(): boolean;
  /** False for a continuation after approvals: the UI message is already open. */
  sendStart: boolean;
  messageId: string;
  maxRetries: number;
  timeout: { firstChunkMs: number; chunkMs: number };
  write(chunk: UIMessageChunk): void;
  /** Called as the request chunk goes out: the operator may answer before the run ends. */
  onApprovalRequest(approval: PendingApproval): void;
  onStepStart(): void;
  /** After each step, with that step's response messages (its tool results included). */
  onStepEnd(usage: LanguageModelUsage, messages: ModelMessage[]): void;
  onToolStart(toolName: string): void;
  onToolEnd(event: ToolEndEvent): void;
}

export interface ModelRunResult {
  /** Messages to append to the conversation (empty when the call failed before finishing). */
  responseMessages: ModelMessage[];
  /** Tool calls waiting for the operator. */
  approvals: PendingApproval[];
  /** The `finish` chunk, held back so the agent can add parts (the report) before it. */
  finish: UIMessageChunk | undefined;
  steps: number;
  /** Text of the last step that produced any. */
  text: string;
  finishReason: string | undefined;
  error: string | undefined;
  /** Set when the call was aborted (stop or timeout), with the reason. */
  aborted: string | undefined;
}

/**
 * One `streamText` call, relayed chunk by chunk: the unit between two waits for the operator.
 * Never throws: failures come back as `error`, aborts as `aborted`.
 *
 * The call has one consumer (this relay), so it runs without the SDK's replay: a replayable
 * result keeps a second copy of every part of the run queued in memory until it ends, for
 * getters this relay does not use. The response messages come with the call's end (`onEnd`).
 */
export async function runModel(request: ModelRunRequest): Promise<ModelRunResult> {
  const state: ModelRunResult = {
    responseMessages: [],
    approvals: [],
    finish: undefined,
    steps: 0,
    text: '',
    finishReason: undefined,
    error: undefined,
    aborted: undefined,
  };
  const toolNames = new Map<string, string>();
  let responseMessages: ModelMessage[] = [];
  try {
    const result = streamText({
      model: request.model,
      system: request.system,
      messages: request.messages,
      tools: request.tools,
      toolApproval: ({ toolCall }) => request.approve(toolCall.toolName, toolCall.input),
      stopWhen: [isStepCount(request.maxSteps), () => request.shouldStop()],
      abortSignal: request.signal,
      maxRetries: request.maxRetries,
      timeout: request.timeout,
      onError: ({ error }) => {
        state.error ??= describeModelError(error);
      },
      onStepStart: () => request.onStepStart(),
      // Not called when the call failed or was aborted: the conversation then gains nothing.
      onEnd: (event) => {
        responseMessages = event.responseMessages as ModelMessage[];
      },
      onStepEnd: (step) => {
        state.steps += 1;
        if (step.text) state.text = step.text;
        state.finishReason = step.finishReason;
        request.onStepEnd(step.usage, step.response.messages as ModelMessage[]);
      },
      onToolExecutionStart: ({ toolCall }) => request.onToolStart(toolCall.toolName),
      onToolExecutionEnd: ({ toolCall, toolOutput }) =>
        request.onToolEnd({
          toolCallId: toolCall.toolCallId,
          toolName: toolCall.toolName,
          input: toolCall.input,
          output: toolOutput.type === 'tool-result' ? toolOutput.output : toolOutput.error,
          failed: toolOutput.type !== 'tool-result',
        }),
    });
    const chunks = toUIMessageStream({
      stream: result.stream,
      tools: request.tools,
      sendStart: request.sendStart,
      generateMessageId: () => request.messageId,
      onError: (error) => describeModelError(error),
      redactToolErrors: false,
    });
    for await (const chunk of chunks) relay(chunk, state, toolNames, request);
    state.responseMessages = responseMessages;
  } catch (error) {
    state.error ??= describeModelError(error);
  }
  return state;
}

function relay(
  chunk: UIMessageChunk,
  state: ModelRunResult,
  toolNames: Map<string, string>,
  request: ModelRunRequest,
): void {
  switch (chunk.type) {
    case 'finish':
      state.finish = chunk;
      return;
    case 'abort':
      state.aborted = chunk.reason ?? 'aborted';
      break;
    case 'tool-input-available':
    case 'tool-input-error':
      toolNames.set(chunk.toolCallId, chunk.toolName);
      break;
    case 'tool-approval-request':
      if (!chunk.isAutomatic) {
        const approval = {
          approvalId: chunk.approvalId,
          toolCallId: chunk.toolCallId,
          toolName: toolNames.get(chunk.toolCallId) ?? 'unknown',
        };
        state.approvals.push(approval);
        request.onApprovalRequest(approval);
      }
      break;
  }
  request.write(chunk);
}
