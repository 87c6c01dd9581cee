import type { LanguageModelV4CallOptions, LanguageModelV4StreamPart } from '@ai-sdk/provider';
import { MockLanguageModelV4 } from 'ai/test';

/**
 * A model whose answers the test scripts, step by step: the AI SDK's own MockLanguageModelV4, fed
 * the stream parts a provider would send. The agent's tests run its real loop on it in process;
 * the e2e tests script an HTTP server instead (openai-test-server.ts).
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
