import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LanguageModelV4CallOptions, LanguageModelV4StreamPart } from '@ai-sdk/provider';
import { isStepCount, streamText } from 'ai';
import { MockLanguageModelV4 } from 'ai/test';
import { describe, expect, it } from 'vitest';
import { callTool, useToolContext } from '../../../test/support/in-process/tool-context.ts';
import { createToolSet, describeToolCall, TOOL_CATALOG, TOOL_NAMES } from './index.ts';

const usage = {
  inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 1, text: 1, reasoning: 0 },
};

/** A model that first calls `read_file` with `input` (raw JSON text), then answers "done". */
function modelCalling(input: string, prompts: LanguageModelV4CallOptions[]) {
  const turns: LanguageModelV4StreamPart[][] = [
    [
      { type: 'stream-start', warnings: [] },
      { type: 'tool-call', toolCallId: 'call_1', toolName: 'read_file', input },
      { type: 'finish', usage, finishReason: { unified: 'tool-calls', raw: 'tool_calls' } },
    ],
    [
      { type: 'stream-start', warnings: [] },
      { type: 'text-start', id: 't' },
      { type: 'text-delta', id: 't', delta: 'done' },
      { type: 'text-end', id: 't' },
      { type: 'finish', usage, finishReason: { unified: 'stop', raw: 'stop' } },
    ],
  ];
  return new MockLanguageModelV4({
    doStream: async (options) => {
      prompts.push(options);
      const parts = turns.shift() ?? [];
      return {
        stream: new ReadableStream({
          start(controller) {
            for (const part of parts) controller.enqueue(part);
            controller.close();
          },
        }),
      };
    },
  });
}

describe('the tool set', () => {
  const t = useToolContext();

  it('offers every tool with a description, and a catalog entry for each', () => {
    const tools = createToolSet(t.context);
    expect(Object.keys(tools)).toEqual(TOOL_NAMES);
    expect(TOOL_NAMES).toEqual([
      'shell',
      'read_file',
      'write_file',
      'edit_file',
      'list_directory',
      'glob',
      'grep',
      'web_fetch',
      'web_search',
      'plan',
      'save_artifact',
      'remember',
      'browser_open',
      'browser_snapshot',
      'browser_click',
      'browser_type',
      'browser_select',
      'browser_press',
      'browser_wait',
      'browser_back',
      'browser_console',
      'browser_screenshot',
    ]);
    for (const name of TOOL_NAMES) {
      expect(typeof tools[name]!.description).toBe('string');
      expect(TOOL_CATALOG[name]!.summary.length).toBeGreaterThan(0);
    }
    expect(Object.keys(createToolSet(t.context, ['shell', 'read_file']))).toEqual(['shell', 'read_file']);
    expect(() => createToolSet(t.context, ['shell', 'read_flie'])).toThrow(
      'no built-in tool named read_flie',
    );
    const readOnly = Object.entries(TOOL_CATALOG).filter(([, entry]) => entry.kind === 'read');
    expect(readOnly.map(([name]) => name)).toEqual([
      'read_file',
      'list_directory',
      'glob',
      'grep',
      'browser_snapshot',
      'browser_type',
      'browser_select',
      'browser_wait',
      'browser_console',
      'browser_screenshot',
    ]);
    expect(TOOL_CATALOG.shell!.kind).toBe('execute');
  });

  it('describes calls in one line and survives any input', () => {
    expect(describeToolCall('shell', { command: 'npm test\n  --watch=false', cwd: 'app' })).toBe(
      '$ npm test ⏎ --watch=false (in app)',
    );
    expect(describeToolCall('read_file', { path: 'a.ts', startLine: 3, endLine: 9 })).toBe('read a.ts:3-9');
    expect(describeToolCall('web_fetch', { url: 'https://x.test/' })).toBe('fetch https://x.test/');
    expect(describeToolCall('write_file', { path: 'a', content: 'héllo' })).toBe('write a (6 bytes)');
    expect(describeToolCall('shell', null)).toBe('shell');
    expect(describeToolCall('plan', { steps: 'nope' })).toBe('plan update 0 steps');
    expect(describeToolCall('mcp_thing', { a: 1 })).toBe('mcp_thing {"a":1}');
    expect(describeToolCall('shell', { command: 'x'.repeat(500) })).toHaveLength(200);
  });

  it('turns a throw inside a tool into an error result and records a failed call', async () => {
    // The artifacts folder cannot be created: a file sits where its parent should be.
    await writeFile(join(t.root, 'blocker'), '');
    const tools = createToolSet({ ...t.context, artifactsDir: join(t.root, 'blocker', 'artifacts') });
    const result = await callTool(tools, 'save_artifact', { name: 'x.md', content: 'x' });
    expect(result.error).toMatch(/^save_artifact failed: ENOTDIR/);
    expect(t.evidence).toEqual([expect.objectContaining({ tool: 'save_artifact', ok: false })]);
  });

  it('survives an evidence recorder that throws', async () => {
    const tools = createToolSet({
      ...t.context,
      recordEvidence: () => {
        throw new Error('store down');
      },
    });
    await writeFile(join(t.workspace, 'a.txt'), 'a');
    expect(await callTool(tools, 'read_file', { path: 'a.txt' })).toMatchObject({ content: 'a' });
  });

  it('gives the model a clear error for a malformed call inside a real AI SDK run, which goes on', async () => {
    const prompts: LanguageModelV4CallOptions[] = [];
    const result = streamText({
      model: modelCalling(JSON.stringify({ path: 42 }), prompts),
      tools: createToolSet(t.context),
      prompt: 'read it',
      stopWhen: isStepCount(3),
    });
    expect(await result.text).toBe('done');
    const toolMessage = JSON.stringify(prompts[1]!.prompt.at(-1));
    expect(toolMessage).toContain(
      'Invalid input for read_file: path: Invalid input: expected string, received number',
    );
    expect(t.evidence).toEqual([
      expect.objectContaining({ kind: 'tool-call', toolCallId: 'call_1', tool: 'read_file', ok: false }),
    ]);
  });

  it('runs a valid call inside a real AI SDK run and returns the result to the model', async () => {
    await writeFile(join(t.workspace, 'notes.txt'), 'remember the milk\n');
    const prompts: LanguageModelV4CallOptions[] = [];
    const result = streamText({
      model: modelCalling(JSON.stringify({ path: 'notes.txt' }), prompts),
      tools: createToolSet(t.context),
      prompt: 'read it',
      stopWhen: isStepCount(3),
    });
    expect(await result.text).toBe('done');
    expect(JSON.stringify(prompts[1]!.prompt.at(-1))).toContain('remember the milk');
  });
});
