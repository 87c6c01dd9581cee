import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LanguageModelV4StreamPart } from '@ai-sdk/provider';
import { APICallError, tool } from 'ai';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { chunkTypes, silentLogger, useAgentTest } from '../../test/support/in-process/agent-test.ts';
import { promptText, scriptedModel, textTurn, toolTurn, usage } from '../../test/support/scripted-model.ts';
import { waitFor } from '../../test/support/wait.ts';
import { createAgentTask } from './create-agent-task.ts';
import type { TaskReport } from './report.ts';

const agent = useAgentTest();

const echoTools = () => ({
  echo: tool({
    description: 'Echo the text back.',
    inputSchema: z.object({ text: z.string() }),
    execute: async ({ text }) => ({ echoed: text }),
  }),
});

describe('the agent loop', () => {
  it('runs tools, streams every chunk in order and completes with text and summed usage', async () => {
    const model = scriptedModel([
      toolTurn([{ id: 'call-1', name: 'echo', input: { text: 'hello' } }], [100, 20]),
      textTurn('All done.', [150, 10]),
    ]);
    const { task, chunks, progress } = agent.start({
      model,
      tools: echoTools,
      catalog: { echo: { kind: 'read', summary: 'echo' } },
    });
    const outcome = await task.done;
    expect(outcome).toEqual({
      status: 'completed',
      result: {
        text: 'All done.',
        finishReason: 'stop',
        usage: { inputTokens: 250, outputTokens: 30, totalTokens: 280 },
      },
    });
    const types = chunkTypes(chunks);
    expect(types[0]).toBe('start');
    expect(types.at(-1)).toBe('finish');
    expect(types.at(-2)).toBe('data-report');
    expect(types).toContain('tool-input-available');
    const output = chunks.find((chunk) => chunk.type === 'tool-output-available');
    expect(output).toMatchObject({ toolCallId: 'call-1', output: { evidenceId: 'call-1', echoed: 'hello' } });
    expect(progress).toContainEqual({
      kind: 'usage',
      usage: { inputTokens: 250, outputTokens: 30, totalTokens: 280 },
    });
    expect(progress).toContainEqual({ kind: 'status', detail: 'tool' });
    // The system prompt carries the loop and the environment's facts.
    const system = promptText(model.doStreamCalls[0]!);
    expect(system).toContain('Observe');
    expect(system).toContain('Working directory');
    expect(system).toContain('echo (read)');
  });

  it('fails at once with what to set when no model is configured', async () => {
    const chunks: unknown[] = [];
    const task = createAgentTask(
      { taskId: 'task_test-2', goal: 'x', options: {} },
      { onChunk: (chunk) => chunks.push(chunk), onProgress: () => {} },
      { home: agent.home, config: {}, env: {}, logger: silentLogger },
      {
        createModel: () => scriptedModel([]),
        createTools: () => ({}),
        catalog: {},
        describeToolCall: (name) => name,
      },
    );
    const outcome = await task.done;
    expect(outcome.status).toBe('error');
    expect(outcome.status === 'error' && outcome.error).toMatch(/OPENVIBER_MODEL/);
    expect(chunks).toEqual([]);
    expect(task.answerApproval('x', true)).toBe(false);
  });

  it('ends in error with a clear message when the provider fails', async () => {
    const model = scriptedModel([
      () => {
        throw new APICallError({
          message: 'Internal Server Error',
          url: 'http://127.0.0.1:9/v1/chat/completions',
          requestBodyValues: {},
          statusCode: 500,
        });
      },
    ]);
    const { task } = agent.start({ model });
    const outcome = await task.done;
    expect(outcome).toEqual({
      status: 'error',
      error:
        'model provider error: HTTP 500 from http://127.0.0.1:9/v1/chat/completions: Internal Server Error',
    });
  });

  it('ends in error when the stream carries garbage', async () => {
    const model = scriptedModel([[{ type: 'error', error: new Error('Invalid JSON response') }]]);
    const { task } = agent.start({ model });
    const outcome = await task.done;
    expect(outcome).toEqual({ status: 'error', error: 'model call failed: Invalid JSON response' });
  });

  it('ends in error instead of hanging when the provider goes silent', async () => {
    const model = scriptedModel([new ReadableStream<LanguageModelV4StreamPart>({})]);
    const { task } = agent.start({
      model,
      dependencies: { timeout: { firstChunkMs: 200, chunkMs: 200 } },
    });
    const outcome = await task.done;
    expect(outcome.status).toBe('error');
    expect(outcome.status === 'error' && outcome.error).toMatch(/stopped responding.*timeout/i);
  });

  it('stops a running model call; the chunks already emitted stand', async () => {
    const model = scriptedModel([
      (options) =>
        new ReadableStream<LanguageModelV4StreamPart>({
          start(controller) {
            controller.enqueue({ type: 'stream-start', warnings: [] });
            controller.enqueue({ type: 'text-start', id: 't' });
            controller.enqueue({ type: 'text-delta', id: 't', delta: 'partial answer' });
            options.abortSignal?.addEventListener('abort', () =>
              controller.error(options.abortSignal?.reason),
            );
          },
        }),
    ]);
    const { task, chunks } = agent.start({ model });
    await waitFor(() => chunks.some((chunk) => chunk.type === 'text-delta'), {
      description: 'the first text',
    });
    task.stop('operator pressed stop');
    const outcome = await task.done;
    expect(outcome).toEqual({ status: 'stopped', reason: 'operator pressed stop' });
    expect(chunks).toContainEqual(expect.objectContaining({ type: 'text-delta', delta: 'partial answer' }));
    expect(chunkTypes(chunks)).toContain('abort');
    const report = JSON.parse(readFileSync(join(agent.home.workspace, 'task_test-1', 'report.json'), 'utf8'));
    expect(report.status).toBe('stopped');
  });

  it('runs a follow-up sent while running as a new turn of the same conversation', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const model = scriptedModel([
      () =>
        new ReadableStream<LanguageModelV4StreamPart>({
          async start(controller) {
            controller.enqueue({ type: 'stream-start', warnings: [] });
            await gate;
            for (const part of textTurn('first answer')) controller.enqueue(part);
            controller.close();
          },
        }),
      textTurn('second answer'),
    ]);
    const { task, chunks, progress } = agent.start({ model });
    await waitFor(() => model.doStreamCalls.length === 1, { description: 'the first model call' });
    task.send({ id: 'msg_follow-1', text: 'and also this', injectionMode: 'followup' });
    release();
    const outcome = await task.done;
    expect(outcome.status === 'completed' && outcome.result.text).toBe('second answer');
    expect(chunkTypes(chunks).filter((type) => type === 'start')).toHaveLength(2);
    expect(chunkTypes(chunks).filter((type) => type === 'finish')).toHaveLength(2);
    const second = promptText(model.doStreamCalls[1]!);
    expect(second).toContain('first answer');
    expect(second).toContain('and also this');
    expect(progress).toContainEqual({
      kind: 'message-applied',
      messageId: 'msg_follow-1',
      injectionMode: 'followup',
    });
  });

  it('tells the model about malformed tool arguments and goes on', async () => {
    const model = scriptedModel([
      [
        { type: 'stream-start', warnings: [] },
        { type: 'tool-call', toolCallId: 'call-bad', toolName: 'echo', input: '{"text": 42' },
        { type: 'finish', usage: usage(5, 5), finishReason: { unified: 'tool-calls', raw: 'tool_calls' } },
      ],
      textTurn('I will fix my call.'),
    ]);
    const { task, chunks } = agent.start({
      model,
      tools: echoTools,
      catalog: { echo: { kind: 'read', summary: 'echo' } },
    });
    expect((await task.done).status).toBe('completed');
    expect(chunks).toContainEqual(
      expect.objectContaining({ type: 'tool-input-error', toolCallId: 'call-bad' }),
    );
    expect(promptText(model.doStreamCalls[1]!)).toContain('call-bad');
  });

  it('writes the report as an artifact and a data-report chunk', async () => {
    const model = scriptedModel([
      toolTurn([{ id: 'call-1', name: 'echo', input: { text: 'x' } }]),
      toolTurn([
        {
          id: 'call-2',
          name: 'report',
          input: {
            summary: 'Echoed x.',
            claims: [
              { text: 'x was echoed', evidence: ['call-1'] },
              { text: 'the moon is cheese', evidence: [] },
              { text: 'made up', evidence: ['call-99'] },
            ],
          },
        },
      ]),
      textTurn('Echoed x.'),
    ]);
    const { task, chunks } = agent.start({
      model,
      tools: echoTools,
      catalog: { echo: { kind: 'read', summary: 'echo' } },
    });
    expect((await task.done).status).toBe('completed');
    const path = join(agent.home.workspace, 'task_test-1', 'report.json');
    expect(existsSync(path)).toBe(true);
    const report = JSON.parse(readFileSync(path, 'utf8')) as TaskReport;
    expect(report.statedByAgent).toBe(true);
    expect(report.claims.map((claim) => claim.status)).toEqual(['verified', 'unverified', 'unverified']);
    expect(report.claims[0]!.evidence[0]).toMatchObject({
      kind: 'tool-call',
      toolCallId: 'call-1',
      tool: 'echo',
      ok: true,
    });
    expect(report.claims[2]!.note).toContain('call-99');
    const streamed = chunks.find((chunk) => chunk.type === 'data-report');
    expect(streamed).toMatchObject({
      id: 'report',
      data: { taskId: 'task_test-1', counts: { verified: 1, unverified: 2 } },
    });
  });
});
