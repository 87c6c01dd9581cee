import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CallToolResultSchema, ErrorCode, type Progress } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDaemon } from '../../../test/support/fake-daemon.ts';
import { TEST_OPERATOR_TOKEN, TestGateway } from '../../../test/support/in-process/test-gateway.ts';
import { callTool as call, connectMcp, type Structured } from '../../../test/support/mcp-client.ts';
import { waitFor } from '../../../test/support/wait.ts';
import { GATEWAY_MCP_TOOL_NAMES, type GatewayMessage, type TaskReport } from '../../protocol/index.ts';

// The tools of the gateway's /mcp with the SDK's own client over Streamable HTTP, against a real
// gateway on 127.0.0.1 and a daemon played by the test (FakeDaemon): a task's whole life, and each
// tool's refusals. The HTTP side (auth, scopes, Origin, bad JSON-RPC) is mcp-endpoint.test.ts.

let harness: TestGateway;
let viber: { id: string; token: string };
const clients: Client[] = [];

async function connect(token: string | null = TEST_OPERATOR_TOKEN, headers: Record<string, string> = {}) {
  const client = await connectMcp(harness.gateway.url, token, headers);
  clients.push(client);
  return client;
}
let daemon: FakeDaemon;

let seq = 0;
function stream(taskId: string, chunk: Record<string, unknown>) {
  daemon.send({ type: 'task:stream-chunk', taskId, seq: ++seq, chunk: chunk as { type: string } });
}

beforeAll(async () => {
  harness = await TestGateway.start();
  viber = await harness.gateway.registerViber('laptop');
  daemon = await FakeDaemon.connect(harness.gateway.wsUrl, { viberId: viber.id, token: viber.token });
});

afterAll(async () => {
  for (const client of clients) await client.close().catch(() => {});
  await daemon?.close();
  await harness?.cleanup();
});

describe('the gateway as an MCP server', () => {
  it('lists its tools with input and output schemas and hints', async () => {
    const client = await connect();
    expect(client.getServerVersion()?.name).toBe('openviber-gateway');
    expect(client.getInstructions()).toMatch(/create_task/);
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual([...GATEWAY_MCP_TOOL_NAMES]);
    expect(tools.map((tool) => tool.name).sort()).toEqual(
      [
        'answer_approval',
        'create_task',
        'follow_task',
        'get_report',
        'get_task',
        'list_vibers',
        'stop_task',
        'wait_for_task',
      ].sort(),
    );
    for (const tool of tools) {
      expect(tool.description?.length).toBeGreaterThan(40);
      expect(tool.inputSchema.type).toBe('object');
      expect(tool.outputSchema?.type).toBe('object');
    }
    const create = tools.find((tool) => tool.name === 'create_task')!;
    expect(create.inputSchema.required).toEqual(['goal']);
    expect(create.inputSchema).toMatchObject({ additionalProperties: false });
    expect(create.annotations).toMatchObject({ readOnlyHint: false });
    expect(tools.find((tool) => tool.name === 'stop_task')?.annotations).toMatchObject({
      destructiveHint: true,
    });
    expect(tools.find((tool) => tool.name === 'get_task')?.annotations).toMatchObject({ readOnlyHint: true });
  });

  it('runs a task through its life: create, wait, approve, follow, report', async () => {
    const client = await connect();
    const vibers = await call(client, 'list_vibers', {});
    expect(vibers.data.vibers).toMatchObject([{ id: viber.id, name: 'laptop', presence: 'online' }]);
    expect(vibers.text).toContain(`laptop (${viber.id}): online`);
    expect((await call(client, 'list_vibers', { presence: 'offline' })).data.vibers).toEqual([]);
    expect((await call(client, 'list_vibers', { q: 'LAP', limit: 1 })).data).toMatchObject({
      vibers: [{ id: viber.id }],
      nextCursor: null,
    });

    const args = { goal: 'count the files', mode: 'always-ask', idempotencyKey: 'mcp-key-1' };
    const created = await call(client, 'create_task', args);
    expect(created.isError).toBe(false);
    expect(created.data).toMatchObject({ replayed: false, task: { status: 'pending', viberId: viber.id } });
    const taskId: string = created.data.task.id;
    const again = await call(client, 'create_task', args);
    expect(again.data).toMatchObject({ replayed: true, task: { id: taskId } });
    const conflict = await call(client, 'create_task', { ...args, goal: 'something else' });
    expect(conflict).toMatchObject({ isError: true, text: expect.stringMatching(/^idempotency_conflict: /) });
    // REST's Idempotency-Key is another space: the same key there starts its own task.
    const overRest = await harness.api(
      'POST',
      '/api/tasks',
      { goal: 'count the files', options: { mode: 'always-ask' } },
      { 'idempotency-key': 'mcp-key-1' },
    );
    expect(overRest.status).toBe(201);
    expect(overRest.json.id).not.toBe(taskId);
    await daemon.waitFor((message) => message.type === 'task:submit' && message.taskId === overRest.json.id);

    const submit = await daemon.startTask(taskId);
    expect(submit).toMatchObject({ goal: 'count the files', options: { mode: 'always-ask' } });
    seq = 1;
    stream(taskId, { type: 'text-start', id: 't1' });
    stream(taskId, { type: 'text-delta', id: 't1', delta: 'Let me look.' });
    const input = { command: 'ls | wc -l' };
    stream(taskId, { type: 'tool-input-available', toolCallId: 'call_1', toolName: 'shell', input });
    stream(taskId, { type: 'tool-approval-request', approvalId: 'appr_1', toolCallId: 'call_1' });

    const waiting = await call(client, 'wait_for_task', { taskId, timeoutSeconds: 60 });
    expect(waiting.data).toMatchObject({
      outcome: 'awaiting-approval',
      answer: null,
      task: { status: 'running' },
      pendingApprovals: [{ approvalId: 'appr_1', toolCallId: 'call_1', toolName: 'shell', input }],
    });
    expect(waiting.text).toContain('approvalId appr_1: shell {"command":"ls | wc -l"}');
    const shown = await call(client, 'get_task', { taskId });
    expect(shown.data.pendingApprovals).toEqual(waiting.data.pendingApprovals);

    const answered = await call(client, 'answer_approval', { taskId, approvalId: 'appr_1', approved: true });
    expect(answered.data).toEqual({ taskId, approvalId: 'appr_1', approved: true });
    const approval = await daemon.waitFor<Extract<GatewayMessage, { type: 'task:approval' }>>(
      (message) => message.type === 'task:approval',
    );
    expect(approval).toMatchObject({ taskId, approvalId: 'appr_1', approved: true });
    const twice = await call(client, 'answer_approval', { taskId, approvalId: 'appr_1', approved: false });
    expect(twice).toMatchObject({
      isError: true,
      text: expect.stringMatching(/^conflict: .*already answered/),
    });
    expect((await call(client, 'get_task', { taskId })).data.pendingApprovals).toEqual([]);

    // The wait asked for progress: one notification at once, then one per batch of new events.
    const progress: Progress[] = [];
    const finished = client.request(
      { method: 'tools/call', params: { name: 'wait_for_task', arguments: { taskId } } },
      CallToolResultSchema,
      { onprogress: (update) => progress.push(update) },
    );
    await waitFor(() => progress.length >= 1);
    expect(progress[0]).toMatchObject({ progress: seq, message: `running: ${seq} events` });
    stream(taskId, { type: 'tool-approval-response', approvalId: 'appr_1', approved: true });
    stream(taskId, {
      type: 'tool-output-available',
      toolCallId: 'call_1',
      output: { exitCode: 0, stdout: '12' },
    });
    await waitFor(() => progress.some((update) => update.progress >= seq));
    const report: TaskReport = {
      version: 1,
      taskId,
      status: 'completed',
      createdAt: new Date().toISOString(),
      summary: 'There are 12 files.',
      statedByAgent: true,
      claims: [
        {
          id: 'c1',
          text: 'The folder holds 12 files',
          status: 'verified',
          citations: ['call_1'],
          evidence: [
            {
              kind: 'tool-call',
              toolCallId: 'call_1',
              tool: 'shell',
              input: 'ls | wc -l',
              outputExcerpt: '12',
              ok: true,
            },
          ],
        },
      ],
      counts: { claims: 1, verified: 1, unverified: 0, evidence: 1 },
      evidence: [
        {
          kind: 'tool-call',
          toolCallId: 'call_1',
          tool: 'shell',
          input: 'ls | wc -l',
          outputExcerpt: '12',
          ok: true,
        },
      ],
    };
    stream(taskId, { type: 'text-start', id: 't2' });
    stream(taskId, { type: 'text-delta', id: 't2', delta: 'There are 12 files.' });
    stream(taskId, { type: 'data-report', data: report });
    daemon.send({ type: 'task:completed', taskId, seq: ++seq, result: { text: 'There are 12 files.' } });
    const result = await finished;
    const done = result.structuredContent as Structured;
    expect(done).toMatchObject({
      outcome: 'finished',
      answer: 'There are 12 files.',
      task: { status: 'completed' },
    });
    expect((result.content as { text: string }[])[0]?.text).toContain('Answer:\nThere are 12 files.');
    const values = progress.map((update) => update.progress);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(new Set(values).size).toBe(values.length);

    const followed = await call(client, 'follow_task', { taskId, maxEvents: 4 });
    expect(followed.data).toMatchObject({ after: 0, cursor: 4, events: 4, more: true, ended: false });
    expect(followed.data.text).toBe('[task started]\nLet me look.\n[tool shell: {"command":"ls | wc -l"}]\n');
    expect(followed.text).toContain('call follow_task with after=4');
    const rest = await call(client, 'follow_task', { taskId, after: followed.data.cursor });
    expect(rest.data).toMatchObject({ after: 4, cursor: seq, more: false, ended: true, status: 'completed' });
    expect(rest.data.text).toBe(
      [
        '[approval needed for shell: approvalId appr_1 (answer it with answer_approval)]',
        '[approval appr_1 approved]',
        '[shell → {"exitCode":0,"stdout":"12"}]',
        'There are 12 files.',
        '[report written (read it with get_report)]',
        '[task completed]',
        '',
      ].join('\n'),
    );
    const nothing = await call(client, 'follow_task', { taskId, after: seq });
    expect(nothing.data).toMatchObject({ events: 0, cursor: seq, ended: true, text: '' });

    const read = await call(client, 'get_report', { taskId });
    expect(read.data).toEqual(report);
    expect(read.text).toContain('1 of 1 claims verified');
    expect(read.text).toContain(
      '- verified: The folder holds 12 files (evidence: shell ls | wc -l succeeded)',
    );

    const stopped = await call(client, 'stop_task', { taskId });
    expect(stopped).toMatchObject({ isError: true, text: expect.stringMatching(/^task_finished: /) });
    // A retry of the first call, now: the same task, as it is now.
    const replayed = await call(client, 'create_task', args);
    expect(replayed.data).toMatchObject({ replayed: true, task: { id: taskId, status: 'completed' } });
  });

  it('stops a task, and says what it cannot find', async () => {
    const client = await connect();
    const created = await call(client, 'create_task', { goal: 'to be stopped', viberId: viber.id });
    const taskId: string = created.data.task.id;
    await daemon.startTask(taskId);
    await waitFor(async () => (await call(client, 'get_task', { taskId })).data.task.status === 'running');
    const stop = await call(client, 'stop_task', { taskId });
    expect(stop.data.task).toMatchObject({ status: 'running', stopRequested: true });
    expect(stop.text).toContain('The viber was asked to stop it');
    await daemon.waitFor((message) => message.type === 'task:stop' && message.taskId === taskId);
    daemon.send({ type: 'task:stopped', taskId, seq: 2, reason: 'stopped by the operator' });
    const ended = await call(client, 'wait_for_task', { taskId });
    expect(ended.data).toMatchObject({ outcome: 'finished', answer: null, task: { status: 'stopped' } });

    const missing = await call(client, 'get_task', { taskId: 'task_nope' });
    expect(missing).toMatchObject({ isError: true, text: 'not_found: task task_nope not found' });
    const noReport = await call(client, 'get_report', { taskId });
    expect(noReport).toMatchObject({
      isError: true,
      text: expect.stringMatching(/^not_found: .*has no report/),
    });
    const elsewhere = await call(client, 'create_task', { goal: 'x', viberId: 'viber_nope' });
    expect(elsewhere).toMatchObject({ isError: true, text: 'not_found: viber viber_nope not found' });
    const nowhere = await call(client, 'create_task', { goal: 'x', environment: 'web-app' });
    expect(nowhere).toMatchObject({ isError: true, text: 'not_found: environment web-app not found' });
    const timeout = await call(client, 'wait_for_task', { taskId: 'task_nope', timeoutSeconds: 1 });
    expect(timeout).toMatchObject({ isError: true, text: 'not_found: task task_nope not found' });
  });

  it('answers a timeout when nothing happens', async () => {
    const client = await connect();
    const created = await call(client, 'create_task', { goal: 'never taken', viberId: viber.id });
    const waited = await call(client, 'wait_for_task', { taskId: created.data.task.id, timeoutSeconds: 1 });
    expect(waited.data).toMatchObject({ outcome: 'timeout', answer: null, task: { status: 'pending' } });
    expect(waited.text).toContain('Still pending after 1 s: call wait_for_task again.');
  });

  it('refuses bad arguments and unknown tools precisely, and keeps serving', async () => {
    const client = await connect();
    const bad = await call(client, 'create_task', { goal: '', extra: 1 });
    expect(bad.isError).toBe(true);
    expect(bad.text).toMatch(/^validation_failed: invalid arguments for create_task: /);
    expect(bad.text).toMatch(/goal: /);
    expect(bad.text).toContain('(root): Unrecognized key: "extra"');
    const mode = await call(client, 'create_task', { goal: 'x', mode: 'yolo' });
    expect(mode.text).toMatch(/^validation_failed: invalid arguments for create_task: mode: /);
    const cursor = await call(client, 'list_vibers', { cursor: 'bm90LWEtY3Vyc29y' });
    expect(cursor.text).toMatch(/^validation_failed: cursor: /);
    await expect(client.callTool({ name: 'rm_rf', arguments: {} })).rejects.toMatchObject({
      code: ErrorCode.InvalidParams,
      message: expect.stringMatching(/^MCP error -32602: Unknown tool: rm_rf; this server has list_vibers, /),
    });
    await expect(
      client.request({ method: 'resources/list', params: {} }, CallToolResultSchema),
    ).rejects.toMatchObject({
      code: ErrorCode.MethodNotFound,
    });
    expect((await client.listTools()).tools).toHaveLength(GATEWAY_MCP_TOOL_NAMES.length);
  });
});
