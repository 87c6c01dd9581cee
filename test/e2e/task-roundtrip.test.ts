import { describe, expect, it } from 'vitest';
import { startModelServer, useE2eCleanup } from '../support/e2e-cleanup.ts';
import {
  checkStrictlyIncreasing,
  FINAL_TEXT,
  makeFixtureDir,
  TOOL_INPUT,
  TOOL_NAME,
  textsOf,
  toolPartOf,
  toolThenText,
  waitForTaskStatus,
} from '../support/e2e-fixtures.ts';
import { spawnGateway, spawnViberFor } from '../support/viber-stack.ts';
import { withTimeout } from '../support/wait.ts';

// Issue 2, "How it must be shown", first bullet: gateway and daemon as separate processes, the
// daemon's OpenAI-compatible provider pointed at a scripted server, a task over REST, and the
// stream read with the AI SDK's own client-side parsing.

useE2eCleanup();

describe('a task travels from the REST API to a viber and streams back', () => {
  it('runs a tool call then text, and the SDK reassembles the final message', async () => {
    const model = await startModelServer({ script: toolThenText() });
    const gateway = await spawnGateway();
    const daemon = await spawnViberFor(gateway, { modelBaseURL: model.baseURL, name: 'roundtrip' });
    const cwd = makeFixtureDir();

    const created = await gateway.rest.createTask({
      goal: 'List the files in the working folder and tell me what is there.',
      viberId: daemon.viberId,
      options: { cwd },
    });
    expect(created).toMatchObject({
      viberId: daemon.viberId,
      goal: expect.stringContaining('List the files'),
    });
    expect(['pending', 'running']).toContain(created.status);

    const reader = await gateway.follow(created.id);
    const message = await withTimeout(reader.finished, 45_000, 'the task stream to end');

    // The stream is the AI SDK UI message stream, headers as the protocol document says.
    const headers = reader.connections[0]?.headers;
    expect(headers?.get('content-type')).toMatch(/^text\/event-stream/);
    expect(headers?.get('x-vercel-ai-ui-message-stream')).toBe('v1');
    expect(reader.parseErrors).toEqual([]);
    expect(reader.messageErrors).toEqual([]);

    // Parts: the tool call with its output, then the final text.
    expect(message?.role).toBe('assistant');
    const toolPart = toolPartOf(message, TOOL_NAME);
    expect(toolPart).toMatchObject({
      toolCallId: 'call_list_1',
      state: 'output-available',
      input: TOOL_INPUT,
    });
    expect(JSON.stringify(toolPart?.output)).toContain('alpha.txt');
    expect(JSON.stringify(toolPart?.output)).toContain('beta.txt');
    expect(textsOf(message)).toEqual([FINAL_TEXT]);
    const toolIndex = message?.parts.indexOf(toolPart as never) ?? -1;
    const textIndex = message?.parts.findIndex((part) => part.type === 'text') ?? -1;
    expect(toolIndex).toBeGreaterThanOrEqual(0);
    expect(textIndex).toBeGreaterThan(toolIndex);

    // Every event carries its seq; they only go up.
    expect(reader.events.every((event) => /^\d+$/.test(event.id ?? ''))).toBe(true);
    expect(checkStrictlyIncreasing(reader.seqs)).toBeUndefined();

    // The model saw the tool's real output in its second request.
    expect(model.requests).toHaveLength(2);
    expect(model.requests[0]?.body.tools?.map((tool) => tool.function.name)).toEqual(
      expect.arrayContaining(['shell', 'read_file', 'write_file', 'list_directory']),
    );
    const toolResult = model.requests[1]?.body.messages.find((m) => m.role === 'tool');
    expect(toolResult).toMatchObject({ tool_call_id: 'call_list_1' });
    expect(JSON.stringify(toolResult?.content)).toContain('alpha.txt');

    const detail = await waitForTaskStatus(gateway.rest, created.id, 'completed');
    expect(detail.task.result?.text).toContain(FINAL_TEXT);
    expect(detail.task.endedAt).not.toBeNull();
    expect(detail.task.lastSeq).toBeGreaterThanOrEqual(Math.max(...reader.seqs));

    // A late subscriber replays the whole stream from the start and gets the same message.
    const late = await gateway.follow(created.id);
    const replayed = await withTimeout(late.finished, 15_000, 'the replayed stream to end');
    expect(late.seqs).toEqual(reader.seqs);
    expect(replayed?.parts).toEqual(message?.parts);
  });
});
