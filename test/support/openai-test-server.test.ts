import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import {
  generateText,
  isStepCount,
  readUIMessageStream,
  streamText,
  tool,
  toUIMessageStream,
  type UIMessage,
} from 'ai';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type OpenAITestServer, type ScriptTurn, startOpenAITestServer } from './openai-test-server.ts';
import { createGate, waitFor } from './wait.ts';

// Drives the test server through the real provider and the real streamText, so e2e tests can
// trust that what the daemon sees is what a real OpenAI-compatible endpoint would send.

let server: OpenAITestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(script: ScriptTurn[] | Parameters<typeof startOpenAITestServer>[0]) {
  server = await startOpenAITestServer(Array.isArray(script) ? { script } : script);
  const provider = createOpenAICompatible({ name: 'test', baseURL: server.baseURL, includeUsage: true });
  return { server, model: provider('test-model') };
}

const shell = tool({
  description: 'Runs a shell command',
  inputSchema: z.object({ command: z.string() }),
  execute: async ({ command }) => ({ stdout: `ran ${command}`, exitCode: 0 }),
});

describe('openai test server', () => {
  it('streams text in several deltas with usage in the last chunk', async () => {
    const { server, model } = await start([
      {
        type: 'text',
        text: 'Hello from the scripted model.',
        usage: { prompt_tokens: 7, completion_tokens: 5 },
      },
    ]);
    const result = streamText({ model, prompt: 'Say hello' });
    const deltas: string[] = [];
    for await (const delta of result.textStream) deltas.push(delta);

    expect(deltas.join('')).toBe('Hello from the scripted model.');
    expect(deltas.length).toBeGreaterThan(3);
    const usage = await result.usage;
    expect(usage.inputTokens).toBe(7);
    expect(usage.outputTokens).toBe(5);
    expect(usage.totalTokens).toBe(12);
    expect(await result.finishReason).toBe('stop');
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.body.stream).toBe(true);
    expect(server.requests[0]?.body.stream_options).toEqual({ include_usage: true });
    expect(server.requests[0]?.body.messages.at(-1)).toMatchObject({ role: 'user', content: 'Say hello' });
  });

  it('streams a tool call whose result the next request carries, then text', async () => {
    const { server, model } = await start([
      { type: 'tool-calls', calls: [{ id: 'call_1', name: 'shell', input: { command: 'echo hi' } }] },
      { type: 'text', text: 'The command printed hi.' },
    ]);
    const result = streamText({ model, prompt: 'Run echo hi', tools: { shell }, stopWhen: isStepCount(3) });
    let message: UIMessage | undefined;
    for await (const snapshot of readUIMessageStream({
      stream: toUIMessageStream({ stream: result.stream }),
    })) {
      message = snapshot;
    }

    const toolPart = message?.parts.find((part) => part.type === 'tool-shell');
    expect(toolPart).toMatchObject({
      toolCallId: 'call_1',
      state: 'output-available',
      input: { command: 'echo hi' },
      output: { stdout: 'ran echo hi', exitCode: 0 },
    });
    const texts = message?.parts.filter((part) => part.type === 'text').map((part) => part.text);
    expect(texts).toEqual(['The command printed hi.']);

    expect(server.requests).toHaveLength(2);
    expect(server.requests[0]?.body.tools?.map((t) => t.function.name)).toEqual(['shell']);
    const [assistant, toolResult] = server.requests[1]?.body.messages.slice(-2) ?? [];
    expect(assistant?.tool_calls?.[0]).toMatchObject({
      id: 'call_1',
      function: { name: 'shell', arguments: '{"command":"echo hi"}' },
    });
    expect(toolResult).toMatchObject({ role: 'tool', tool_call_id: 'call_1' });
    expect(JSON.parse(String(toolResult?.content))).toEqual({ stdout: 'ran echo hi', exitCode: 0 });
    expect((await result.totalUsage).totalTokens).toBeGreaterThan(0);
  });

  it('answers non-streaming requests and lists models', async () => {
    const { server, model } = await start({
      script: [{ type: 'text', text: 'whole answer' }],
      models: ['a', 'b'],
    });
    const result = await generateText({ model, prompt: 'hi' });
    expect(result.text).toBe('whole answer');
    expect(result.usage.totalTokens).toBeGreaterThan(0);
    const models = (await (await fetch(`${server.baseURL}/models`)).json()) as {
      data: Array<{ id: string }>;
    };
    expect(models.data.map((m) => m.id)).toEqual(['a', 'b']);
  });

  it('fails with the scripted HTTP error, and with a clear one when the script runs out', async () => {
    const { model } = await start([{ type: 'error', status: 429, message: 'slow down', code: 'rate_limit' }]);
    await expect(generateText({ model, prompt: 'hi', maxRetries: 0 })).rejects.toThrow('slow down');
    await expect(generateText({ model, prompt: 'hi', maxRetries: 0 })).rejects.toThrow('script has no turn');
  });

  it('answers per request with a function script', async () => {
    const { model } = await start({
      script: (request) => ({ type: 'text', text: `request ${request.index}` }),
    });
    expect((await generateText({ model, prompt: 'a' })).text).toBe('request 0');
    expect((await generateText({ model, prompt: 'b' })).text).toBe('request 1');
  });

  it('holds a stream at a gate and survives the client going away mid-stream', async () => {
    const gate = createGate();
    const { server, model } = await start([
      {
        type: 'text',
        text: ['one ', 'two ', 'three'],
        beforeChunk: (index) => (index === 1 ? gate.wait() : undefined),
      },
    ]);
    const abort = new AbortController();
    const result = streamText({ model, prompt: 'count', abortSignal: abort.signal });
    const seen: string[] = [];
    for await (const delta of result.textStream) {
      seen.push(delta);
      if (seen.length === 1) abort.abort();
    }
    expect(seen).toEqual(['one ']);
    await server.waitForRequests(1);
    await waitFor(() => server.openStreams === 0, { timeoutMs: 10_000, description: 'stream closed' });
    gate.open();
    server.push({ type: 'text', text: 'still serving' });
    expect((await generateText({ model, prompt: 'again' })).text).toBe('still serving');
  });
});
