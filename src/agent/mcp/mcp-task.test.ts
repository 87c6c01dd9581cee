import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { LanguageModelV4CallOptions } from '@ai-sdk/provider';
import { describe, expect, it } from 'vitest';
import { chunkTypes, type RecordedTask, useAgentTest } from '../../../test/support/in-process/agent-test.ts';
import { startMcpManager, testServer, useMcpManagers } from '../../../test/support/in-process/mcp-manager.ts';
import { promptText, scriptedModel, textTurn, toolTurn } from '../../../test/support/scripted-model.ts';
import { makeTempDir, useTempDirs } from '../../../test/support/temp-dirs.ts';
import { waitFor } from '../../../test/support/wait.ts';
import { NO_REDACTION } from '../../core/redaction.ts';
import type { McpServerConfig, TaskReport } from '../../protocol/index.ts';

// MCP tools inside a task: the agent's loop on a scripted model, the test MCP server as a real
// process. What the model is offered and told, what the operator sees, approvals and stop.

const agent = useAgentTest();
useMcpManagers();
useTempDirs();

function start(
  servers: McpServerConfig[],
  steps: Parameters<typeof scriptedModel>[0],
  mode = 'agent-decides',
) {
  const prompts: LanguageModelV4CallOptions[] = [];
  const model = scriptedModel(
    steps.map((step) => (options: LanguageModelV4CallOptions) => {
      prompts.push(options);
      return typeof step === 'function' ? step(options) : step;
    }),
  );
  const recorded = agent.start({
    model,
    config: { agent: { mode: mode as 'agent-decides' } },
    environment: { mcp: startMcpManager(servers) },
  });
  return { ...recorded, prompts };
}

const partsOf = (recorded: RecordedTask, type: string) =>
  recorded.chunks.filter((chunk) => chunk.type === type);

describe('an MCP tool in a task', () => {
  it('is offered to the model with its schema, runs at once when read-only, and its result reaches the model, the stream and the report', async () => {
    const task = start(
      [testServer('tools', 'tools')],
      [
        toolTurn([{ id: 'call_1', name: 'mcp__tools__greet', input: { name: 'Ada' } }]),
        textTurn('Greeted Ada.'),
      ],
    );
    const outcome = await task.task.done;
    expect(outcome.status).toBe('completed');
    const offered = task.prompts[0]?.tools?.find((offer) => offer.name === 'mcp__tools__greet');
    expect(offered).toMatchObject({
      type: 'function',
      inputSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
    });
    expect((offered as { description?: string } | undefined)?.description).toContain(
      'Greets someone by name.',
    );
    expect(promptText(task.prompts[0]!)).toContain('- tools: connected, 5 tools (named mcp__tools__<tool>)');
    expect(promptText(task.prompts[1]!)).toContain('Hello, Ada!');
    expect(chunkTypes(task.chunks)).not.toContain('tool-approval-request');
    expect(partsOf(task, 'tool-output-available')).toEqual([
      expect.objectContaining({
        toolCallId: 'call_1',
        output: { evidenceId: 'call_1', content: 'Hello, Ada!' },
      }),
    ]);
    const report = partsOf(task, 'data-report')[0] as unknown as { data: TaskReport };
    expect(report.data.evidence).toContainEqual(
      expect.objectContaining({
        kind: 'tool-call',
        toolCallId: 'call_1',
        tool: 'mcp__tools__greet',
        ok: true,
      }),
    );
  });

  it('waits for approval when the server does not mark it read-only', async () => {
    const task = start(
      [testServer('tools', 'tools')],
      [toolTurn([{ id: 'call_1', name: 'mcp__tools__fail', input: {} }]), textTurn('Not run.')],
    );
    await waitFor(() => partsOf(task, 'tool-approval-request')[0], { description: 'an approval request' });
    const request = partsOf(task, 'tool-approval-request')[0] as { approvalId: string };
    expect(task.task.answerApproval(request.approvalId, false, 'not today')).toBe(true);
    expect((await task.task.done).status).toBe('completed');
    expect(chunkTypes(task.chunks)).toContain('tool-output-denied');
  });

  it('runs without asking when an allow rule names it, and reports its error result as a failure', async () => {
    const model = scriptedModel([
      toolTurn([{ id: 'call_1', name: 'mcp__tools__fail', input: {} }]),
      textTurn('It failed.'),
    ]);
    const recorded = agent.start({
      model,
      config: { agent: { mode: 'agent-decides', allow: ['mcp__tools__fail'] } },
      environment: { mcp: startMcpManager([testServer('tools', 'tools')]) },
    });
    expect((await recorded.task.done).status).toBe('completed');
    expect(recorded.chunks).toContainEqual(
      expect.objectContaining({
        type: 'tool-approval-response',
        approved: true,
        reason: 'allowed by rule "mcp__tools__fail"',
      }),
    );
    expect(partsOf(recorded, 'tool-output-available')[0]).toMatchObject({
      output: { evidenceId: 'call_1', error: 'tools/fail reported an error: the widget is out of stock' },
    });
    const report = partsOf(recorded, 'data-report')[0] as unknown as { data: TaskReport };
    expect(report.data.evidence).toContainEqual(
      expect.objectContaining({ tool: 'mcp__tools__fail', ok: false }),
    );
  });

  it('gives the model the field a bad input got wrong, without calling the server', async () => {
    const task = start(
      [testServer('tools', 'tools')],
      [toolTurn([{ id: 'call_1', name: 'mcp__tools__greet', input: { name: 7 } }]), textTurn('Oops.')],
    );
    await task.task.done;
    expect(partsOf(task, 'tool-output-available')[0]).toMatchObject({
      output: { evidenceId: 'call_1', error: 'Invalid input for mcp__tools__greet: name: must be string' },
    });
  });

  it('shows the operator and the model a server that could not start, and keeps the others', async () => {
    const task = start(
      [testServer('silent', 'hang', { timeoutMs: 300 }), testServer('tools', 'tools')],
      [textTurn('Done without it.')],
    );
    expect((await task.task.done).status).toBe('completed');
    const types = chunkTypes(task.chunks);
    expect(types.slice(0, 2)).toEqual(['start', 'data-mcp-server']);
    // Failed, or already trying again (with backoff) while the other server started.
    expect(task.chunks[1]).toMatchObject({
      id: 'mcp-server-silent',
      data: {
        name: 'silent',
        state: expect.stringMatching(/^(failed|starting)$/),
        reason: 'it did not answer initialize within 300 ms',
      },
    });
    const system = promptText(task.prompts[0]!);
    expect(system).toContain(
      '- silent: not available (it did not answer initialize within 300 ms); its tools are missing from this task',
    );
    expect(task.prompts[0]?.tools?.map((offer) => offer.name)).toContain('mcp__tools__greet');
  });

  it('cancels the call on the server when the task is stopped', async () => {
    const markers = makeTempDir('mcp-markers');
    const task = start(
      [testServer('tools', 'tools', { env: { MCP_TEST_MARKERS: markers } })],
      [toolTurn([{ id: 'call_1', name: 'mcp__tools__wait', input: {} }]), textTurn('never')],
    );
    await waitFor(() => task.progress.some((event) => event.kind === 'status' && event.detail === 'tool'), {
      description: 'the tool to run',
    });
    task.task.stop('enough');
    expect(await task.task.done).toEqual({ status: 'stopped', reason: 'enough' });
    await waitFor(() => existsSync(join(markers, 'cancelled')), {
      description: 'the server to see the cancellation',
    });
  });

  it('leaves MCP tools out of a task whose environment has network access off', async () => {
    const model = scriptedModel([textTurn('ok')]);
    const recorded = agent.start({
      model,
      environment: {
        mcp: startMcpManager([testServer('tools', 'tools')]),
        execution: { env: {}, redactor: NO_REDACTION, networkAccess: false },
      },
    });
    expect((await recorded.task.done).status).toBe('completed');
    expect(chunkTypes(recorded.chunks)).not.toContain('data-mcp-server');
    expect(model.doStreamCalls[0]?.tools?.map((offer) => offer.name)).toEqual(['report']);
  });
});
