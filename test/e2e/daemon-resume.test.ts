import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startModelServer, useE2eCleanup } from '../support/e2e-cleanup.ts';
import {
  allTextsOf,
  checkStrictlyIncreasing,
  makeFixtureDir,
  waitForTaskStatus,
} from '../support/e2e-fixtures.ts';
import { type ChatRequestBody, type ScriptTurn, textOf } from '../support/openai-test-server.ts';
import { type GatewayHandle, spawnDaemon, spawnGateway, spawnViberFor } from '../support/viber-stack.ts';
import { createGate, waitFor } from '../support/wait.ts';

// Issue 12: a daemon killed (SIGKILL) in the middle of a task and started again on the same home
// picks the task up from its last checkpoint: the durable outbox resends what the gateway had not
// acknowledged and numbering continues, a shell command that was running is not run again (the
// model is told it was interrupted), a waiting approval still waits, and the task completes.

useE2eCleanup();

const HEARTBEAT_MS = 200;
const GRACE_MS = 20_000;

type Viber = Awaited<ReturnType<typeof spawnViberFor>>;

async function restart(gateway: GatewayHandle, daemon: Viber, modelBaseURL: string) {
  return spawnDaemon({
    serverUrl: gateway.wsUrl,
    viberId: daemon.viberId,
    token: daemon.token,
    home: daemon.home,
    modelBaseURL,
    name: 'resumed',
    heartbeatIntervalMs: HEARTBEAT_MS,
  });
}

/** The whole stream as a late reader replays it: every seq once, in order, and the restart marker. */
async function replayed(gateway: GatewayHandle, taskId: string) {
  const reader = await gateway.follow(taskId);
  await reader.finished;
  expect(checkStrictlyIncreasing(reader.seqs)).toBeUndefined();
  expect(reader.parseErrors).toEqual([]);
  expect(reader.chunks.filter((chunk) => chunk.type === 'data-viber-restarted')).toHaveLength(1);
  return reader;
}

const toolMessages = (body: ChatRequestBody) => body.messages.filter((message) => message.role === 'tool');

describe('daemon restarted mid-task', () => {
  it('SIGKILL in the middle of a model stream: the task resumes and completes, every chunk once', async () => {
    const held = createGate();
    const model = await startModelServer({
      script: ({ index }) =>
        index === 0
          ? {
              type: 'text',
              text: ['Working ', 'on ', 'it ', 'now.'],
              beforeChunk: (i) => (i === 2 ? held.wait() : undefined),
            }
          : { type: 'text', text: 'Done after the restart.' },
    });
    const gateway = await spawnGateway({ heartbeatIntervalMs: HEARTBEAT_MS, graceMs: GRACE_MS });
    const daemon = await spawnViberFor(gateway, {
      modelBaseURL: model.baseURL,
      name: 'stream',
      heartbeatIntervalMs: HEARTBEAT_MS,
    });
    const task = await gateway.rest.createTask({ goal: 'Write a short answer.', viberId: daemon.viberId });
    const live = await gateway.follow(task.id);
    await waitFor(() => live.chunks.filter((chunk) => chunk.type === 'text-delta').length >= 2, {
      timeoutMs: 45_000,
      description: 'the first two text deltas',
    });
    await daemon.process.kill('SIGKILL');
    held.open();
    await restart(gateway, daemon, model.baseURL);

    const detail = await waitForTaskStatus(gateway.rest, task.id, 'completed', 60_000);
    expect(detail.task.result?.text).toBe('Done after the restart.');
    await live.finished;
    const reader = await replayed(gateway, task.id);
    // The reader that watched across the restart saw the same events as a late one: none twice.
    expect(live.seqs).toEqual(reader.seqs);
    expect(allTextsOf(reader.messages).join('')).toBe('Working on Done after the restart.');
    // The resumed run continued the open message: one `start`, one `finish`.
    expect(reader.chunks.filter((chunk) => chunk.type === 'start')).toHaveLength(1);
    expect(reader.chunks.filter((chunk) => chunk.type === 'finish')).toHaveLength(1);
    // The model was asked again from the last completed step: the goal, nothing invented.
    expect(model.requests).toHaveLength(2);
    expect(textOf(model.requests[1]!.body.messages.at(-1)?.content)).toBe('Write a short answer.');
  });

  it('SIGKILL while a shell command runs: not run again, the model is told, the report still links its claims', async () => {
    const dir = makeFixtureDir();
    const counter = join(dir, 'counter');
    const command = `echo run >> ${counter}; sleep 5`;
    // A command that completes before the kill, the one killed mid-way, then a report whose claim
    // cites the first (its evidence was recorded by the process that died), then the answer.
    const turns: ScriptTurn[] = [
      {
        type: 'tool-calls',
        calls: [{ id: 'call_before', name: 'shell', input: { command: 'echo before' } }],
      },
      { type: 'tool-calls', calls: [{ id: 'call_sleepy', name: 'shell', input: { command } }] },
      {
        type: 'tool-calls',
        calls: [
          {
            id: 'call_report',
            name: 'report',
            input: { summary: 'Counted once.', claims: [{ text: 'echo ran', evidence: ['call_before'] }] },
          },
        ],
      },
      { type: 'text', text: 'I will not run it again.' },
    ];
    const model = await startModelServer({
      script: ({ body }) => turns[Math.min(toolMessages(body).length, turns.length - 1)],
    });
    const gateway = await spawnGateway({ heartbeatIntervalMs: HEARTBEAT_MS, graceMs: GRACE_MS });
    const daemon = await spawnViberFor(gateway, {
      modelBaseURL: model.baseURL,
      name: 'shell',
      heartbeatIntervalMs: HEARTBEAT_MS,
    });
    const task = await gateway.rest.createTask({
      goal: 'Count once.',
      viberId: daemon.viberId,
      options: { mode: 'always-execute', cwd: dir },
    });
    await waitFor(() => existsSync(counter) && readFileSync(counter, 'utf8').length > 0, {
      timeoutMs: 45_000,
      description: 'the command to start',
    });
    await daemon.process.kill('SIGKILL');
    await restart(gateway, daemon, model.baseURL);

    const detail = await waitForTaskStatus(gateway.rest, task.id, 'completed', 60_000);
    expect(detail.task.result?.text).toBe('I will not run it again.');
    await new Promise((done) => setTimeout(done, 5_500));
    expect(readFileSync(counter, 'utf8')).toBe('run\n');
    const told = toolMessages(model.requests.at(-1)!.body);
    expect(told.map((message) => message.tool_call_id)).toEqual([
      'call_before',
      'call_sleepy',
      'call_report',
    ]);
    expect(textOf(told[1]!.content)).toContain('interrupted: the viber restarted while this ran');
    const reader = await replayed(gateway, task.id);
    expect(reader.chunks).toContainEqual(
      expect.objectContaining({ type: 'tool-output-error', toolCallId: 'call_sleepy' }),
    );
    const report = reader.chunks.find((chunk) => chunk.type === 'data-report') as
      | { data: { status: string; claims: Array<{ status: string; citations: string[] }> } }
      | undefined;
    expect(report?.data.status).toBe('completed');
    expect(report?.data.claims).toEqual([
      expect.objectContaining({ status: 'verified', citations: ['call_before'] }),
    ]);
  });

  it('SIGKILL while an approval waits: it still waits after the restart, and the answer completes the task', async () => {
    const dir = makeFixtureDir();
    const counter = join(dir, 'approved');
    const model = await startModelServer({
      script: ({ body }): ScriptTurn =>
        toolMessages(body).length === 0
          ? {
              type: 'tool-calls',
              calls: [{ id: 'call_ask', name: 'shell', input: { command: `echo yes >> ${counter}` } }],
            }
          : { type: 'text', text: 'It ran once, after the approval.' },
    });
    const gateway = await spawnGateway({ heartbeatIntervalMs: HEARTBEAT_MS, graceMs: GRACE_MS });
    const daemon = await spawnViberFor(gateway, {
      modelBaseURL: model.baseURL,
      name: 'asker',
      heartbeatIntervalMs: HEARTBEAT_MS,
    });
    const task = await gateway.rest.createTask({
      goal: 'Ask first.',
      viberId: daemon.viberId,
      options: { mode: 'always-ask', cwd: dir },
    });
    const live = await gateway.follow(task.id);
    const approvalId = await waitFor(
      () => live.chunks.find((chunk) => chunk.type === 'tool-approval-request')?.approvalId,
      { timeoutMs: 45_000, description: 'the approval request' },
    );
    // The request is stored before the kill; the checkpoint is written right after the run pauses.
    await waitFor(async () => (await gateway.rest.getTask(task.id)).task.status === 'running');
    await new Promise((done) => setTimeout(done, 500));
    await daemon.process.kill('SIGKILL');
    await restart(gateway, daemon, model.baseURL);

    await waitFor(() => live.chunks.some((chunk) => chunk.type === 'data-viber-restarted'), {
      timeoutMs: 30_000,
      description: 'the restart marker',
    });
    expect(existsSync(counter)).toBe(false);
    const answered = await gateway.rest.request('POST', `/api/tasks/${task.id}/approvals/${approvalId}`, {
      body: { approved: true },
    });
    expect(answered.status).toBe(202);
    const detail = await waitForTaskStatus(gateway.rest, task.id, 'completed', 60_000);
    expect(detail.task.result?.text).toBe('It ran once, after the approval.');
    expect(readFileSync(counter, 'utf8')).toBe('yes\n');
    await replayed(gateway, task.id);
  });
});

describe('graceful restart', () => {
  it('SIGTERM mid-task: the daemon exits 0 after the current step, the next start resumes and completes the task', async () => {
    const held = createGate();
    const model = await startModelServer({
      script: ({ index }): ScriptTurn =>
        index === 0
          ? {
              type: 'tool-calls',
              calls: [{ id: 'call_list', name: 'list_directory', input: { path: '.' } }],
              beforeChunk: (i) => (i === 0 ? held.wait() : undefined),
            }
          : { type: 'text', text: 'Listed, then finished after the upgrade.' },
    });
    const gateway = await spawnGateway({ heartbeatIntervalMs: HEARTBEAT_MS, graceMs: GRACE_MS });
    const daemon = await spawnViberFor(gateway, {
      modelBaseURL: model.baseURL,
      name: 'upgraded',
      heartbeatIntervalMs: HEARTBEAT_MS,
    });
    const task = await gateway.rest.createTask({
      goal: 'List the folder.',
      viberId: daemon.viberId,
      options: { mode: 'always-execute', cwd: makeFixtureDir() },
    });
    await model.waitForRequests(1);
    // SIGTERM while the model is answering: the step ends (the call runs), no new step starts.
    const exited = daemon.process.kill('SIGTERM', 20_000);
    await new Promise((done) => setTimeout(done, 300));
    held.open();
    expect((await exited).code).toBe(0);
    expect(model.requests).toHaveLength(1);
    expect((await gateway.rest.getTask(task.id)).task.status).toBe('running');

    await restart(gateway, daemon, model.baseURL);
    const detail = await waitForTaskStatus(gateway.rest, task.id, 'completed', 60_000);
    expect(detail.task.result?.text).toBe('Listed, then finished after the upgrade.');
    // The listing ran once, before the restart: the resumed model saw its result, not an interruption.
    const told = toolMessages(model.requests.at(-1)!.body);
    expect(told.map((message) => message.tool_call_id)).toEqual(['call_list']);
    expect(textOf(told[0]!.content)).not.toContain('interrupted');
    const reader = await replayed(gateway, task.id);
    expect(reader.chunks.filter((chunk) => chunk.type === 'tool-output-available')).toHaveLength(1);
  });
});
