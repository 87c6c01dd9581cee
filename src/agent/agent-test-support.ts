import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LanguageModelV4CallOptions, LanguageModelV4StreamPart } from '@ai-sdk/provider';
import type { ToolSet, UIMessageChunk } from 'ai';
import { MockLanguageModelV4 } from 'ai/test';
import pino from 'pino';
import type { ConfigFile } from '../core/config.ts';
import { type OpenViberHome, resolveHome } from '../core/home.ts';
import type { TaskProgressEvent } from '../protocol/index.ts';
import type { AgentTask, AgentTaskRequest } from './agent-task.ts';
import type { ToolCatalog } from './autonomy-policy.ts';
import { type AgentDependencies, createAgentTask } from './create-agent-task.ts';
import type { ToolContext } from './tools/tool-context.ts';

/**
 * Helpers for the agent's tests: a scripted mock model (the AI SDK's own MockLanguageModelV4),
 * a temporary OpenViber home, and a task runner that records every chunk and progress event.
 */

export type StreamScript = LanguageModelV4StreamPart[] | ReadableStream<LanguageModelV4StreamPart>;
export type ScriptStep = StreamScript | ((options: LanguageModelV4CallOptions) => StreamScript);

export function usage(input: number, output: number) {
  return {
    inputTokens: { total: input, noCache: input, cacheRead: 0, cacheWrite: 0 },
    outputTokens: { total: output, text: output, reasoning: 0 },
  };
}

export function textTurn(text: string, tokens: [number, number] = [10, 5]): LanguageModelV4StreamPart[] {
  return [
    { type: 'stream-start', warnings: [] },
    { type: 'text-start', id: 't1' },
    { type: 'text-delta', id: 't1', delta: text },
    { type: 'text-end', id: 't1' },
    { type: 'finish', usage: usage(...tokens), finishReason: { unified: 'stop', raw: 'stop' } },
  ];
}

export function toolTurn(
  calls: Array<{ id: string; name: string; input: unknown }>,
  tokens: [number, number] = [10, 5],
): LanguageModelV4StreamPart[] {
  return [
    { type: 'stream-start', warnings: [] },
    ...calls.map(
      (call): LanguageModelV4StreamPart => ({
        type: 'tool-call',
        toolCallId: call.id,
        toolName: call.name,
        input: JSON.stringify(call.input),
      }),
    ),
    { type: 'finish', usage: usage(...tokens), finishReason: { unified: 'tool-calls', raw: 'tool_calls' } },
  ];
}

/** A model that answers each call with the next scripted step; calls beyond the script get "done". */
export function scriptedModel(steps: ScriptStep[]): MockLanguageModelV4 {
  let index = 0;
  return new MockLanguageModelV4({
    modelId: 'test-model',
    doStream: async (options) => {
      const step = steps[index++] ?? textTurn('done');
      const script = typeof step === 'function' ? step(options) : step;
      const stream =
        script instanceof ReadableStream
          ? script
          : new ReadableStream<LanguageModelV4StreamPart>({
              start(controller) {
                for (const part of script) controller.enqueue(part);
                controller.close();
              },
            });
      return { stream };
    },
  });
}

/** The system prompt and the messages of one model call, as text. */
export function promptText(options: LanguageModelV4CallOptions): string {
  return JSON.stringify(options.prompt);
}

export interface TempHome {
  home: OpenViberHome;
  cleanup(): void;
}

export function tempHome(): TempHome {
  const root = mkdtempSync(join(tmpdir(), 'openviber-agent-'));
  return {
    home: resolveHome({ OPENVIBER_HOME: root }),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

export interface RecordedTask {
  task: AgentTask;
  chunks: UIMessageChunk[];
  progress: TaskProgressEvent[];
}

export interface TestTaskOptions {
  home: OpenViberHome;
  model: MockLanguageModelV4;
  tools?: (context: ToolContext) => ToolSet;
  catalog?: ToolCatalog;
  config?: ConfigFile;
  request?: Partial<AgentTaskRequest>;
  dependencies?: Partial<AgentDependencies>;
}

export const silentLogger = pino({ level: 'silent' });

export function startTestTask(options: TestTaskOptions): RecordedTask {
  const chunks: UIMessageChunk[] = [];
  const progress: TaskProgressEvent[] = [];
  const task = createAgentTask(
    { taskId: 'task_test-1', goal: 'do the thing', options: {}, ...options.request },
    { onChunk: (chunk) => chunks.push(chunk), onProgress: (event) => progress.push(event) },
    {
      home: options.home,
      config: options.config ?? {},
      env: { OPENVIBER_MODEL: 'openai/test-model', OPENAI_API_KEY: 'sk-test', PATH: process.env.PATH },
      logger: silentLogger,
    },
    {
      createModel: () => options.model,
      createTools: options.tools ?? (() => ({})),
      catalog: options.catalog ?? {},
      describeToolCall: (name, input) => `${name} ${JSON.stringify(input)}`,
      maxRetries: 0,
      ...options.dependencies,
    },
  );
  return { task, chunks, progress };
}

/** Polls until `condition` holds; fails with `what` after the deadline. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export function chunkTypes(chunks: UIMessageChunk[]): string[] {
  return chunks.map((chunk) => chunk.type);
}
