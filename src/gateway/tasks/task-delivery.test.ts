import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeDaemon } from '../../../test/support/fake-daemon.ts';
import { TestGateway } from '../../../test/support/in-process/test-gateway.ts';
import { waitFor } from '../../../test/support/wait.ts';
import type { GatewayMessage } from '../../protocol/index.ts';
import { RESTARTED_REASON } from './task-reconcile.ts';

type Submit = Extract<GatewayMessage, { type: 'task:submit' }>;

describe('gateway command delivery and task events', () => {
  let harness: TestGateway;
  let viber: { id: string; token: string };
  const daemons: FakeDaemon[] = [];
  const connect = async (runningTasks: string[] = []) => {
    const daemon = await FakeDaemon.connect(harness.gateway.wsUrl, {
      viberId: viber.id,
      token: viber.token,
      runningTasks,
    });
    daemons.push(daemon);
    return daemon;
  };
  const taskStatus = async (taskId: string) => (await harness.api('GET', `/api/tasks/${taskId}`)).json.task;
  const waitForStatus = (taskId: string, status: string) =>
    waitFor(async () => (await taskStatus(taskId)).status === status, { description: `task ${status}` });

  beforeEach(async () => {
    harness = await TestGateway.start();
    viber = await harness.gateway.registerViber('v');
  });
  afterEach(async () => {
    for (const daemon of daemons.splice(0)) await daemon.close();
    await harness.cleanup();
  });

  it('delivers a task created while the viber was offline when it connects', async () => {
    const task = await harness.api('POST', '/api/tasks', { goal: 'do it', options: { maxSteps: 3 } });
    expect(task.json.status).toBe('pending');
    const daemon = await connect();
    const submit = await daemon.waitFor<Submit>((message) => message.type === 'task:submit');
    expect(submit).toMatchObject({ taskId: task.json.id, goal: 'do it', options: { maxSteps: 3 } });
    expect(daemon.received[0]).toMatchObject({ type: 'welcome', viberId: viber.id, protocolVersion: 1 });
    expect(daemon.invalid).toEqual([]);
  });

  it('sends a task at once to a connected viber', async () => {
    const daemon = await connect();
    const task = await harness.api('POST', '/api/tasks', { goal: 'now' });
    const submit = await daemon.waitFor<Submit>((message) => message.type === 'task:submit');
    expect(submit.taskId).toBe(task.json.id);
  });

  it('redelivers commands after every reconnect until the daemon acknowledges them', async () => {
    const task = await harness.api('POST', '/api/tasks', { goal: 'again' });
    const taskId = task.json.id as string;
    // The task asks for an approval (an answer is accepted only for a waiting request), then the
    // viber goes offline before acknowledging the submit.
    const asking = await connect();
    await asking.waitFor((message) => message.type === 'task:submit');
    asking.send({ type: 'task:started', taskId, seq: 1, spaceId: 's' });
    asking.send({
      type: 'task:stream-chunk',
      taskId,
      seq: 2,
      chunk: { type: 'tool-approval-request', approvalId: 'appr_1', toolCallId: 'call_1' },
    });
    await waitFor(() => asking.ofType('task:ack').at(-1)?.seq === 2);
    await asking.close();
    await harness.api('POST', `/api/tasks/${taskId}/messages`, { message: 'more', injectionMode: 'steer' });
    const approval = await harness.api('POST', `/api/tasks/${taskId}/approvals/appr_1`, {
      approved: false,
      reason: 'no',
    });
    expect(approval.status).toBe(202);
    const commandsOf = (daemon: FakeDaemon) =>
      daemon.received.filter(
        (message): message is Extract<GatewayMessage, { commandId: string }> => 'commandId' in message,
      );

    const first = await connect([taskId]);
    await first.waitFor((message) => message.type === 'task:approval');
    expect(commandsOf(first).map((message) => message.type)).toEqual([
      'task:submit',
      'task:message',
      'task:approval',
    ]);
    await first.close();

    const second = await connect([taskId]);
    await second.waitFor((message) => message.type === 'task:approval');
    const commands = commandsOf(second);
    expect(commands.map((message) => message.type)).toEqual(['task:submit', 'task:message', 'task:approval']);
    for (const command of commands) second.send({ type: 'command:ack', commandId: command.commandId });
    await waitFor(
      async () => (await harness.api('GET', `/api/tasks/${taskId}`)).json.messages[0].deliveredAt !== null,
    );
    await second.close();

    const third = await connect([taskId]);
    await harness.api('POST', '/api/tasks', { goal: 'marker' });
    const marker = await third.waitFor<Submit>((message) => message.type === 'task:submit');
    expect(marker.goal).toBe('marker');
    expect(third.received.filter((message) => 'commandId' in message)).toHaveLength(1);
  });

  it('stores each seq once and answers with a cumulative ack', async () => {
    const daemon = await connect();
    const task = await harness.api('POST', '/api/tasks', { goal: 'seq' });
    const taskId = task.json.id as string;
    const chunk = (seq: number) => ({
      type: 'task:stream-chunk' as const,
      taskId,
      seq,
      chunk: { type: 'text-delta', id: 't', delta: `${seq}` },
    });
    daemon.send({ type: 'task:started', taskId, seq: 1, spaceId: 's' });
    daemon.send(chunk(2));
    daemon.send(chunk(2));
    daemon.send(chunk(1));
    daemon.send(chunk(4));
    daemon.send(chunk(3));
    daemon.send(chunk(4));
    await waitFor(() => daemon.ofType('task:ack').at(-1)?.seq === 4);
    // Events that arrive together are group-committed and answered with one ack per batch, so the
    // number of acks depends on how the frames were read; they only ever grow.
    const acks = daemon.ofType('task:ack').map((ack) => ack.seq);
    expect(acks).toEqual([...acks].sort((a, b) => a - b));
    expect(acks.length).toBeLessThanOrEqual(7);
    expect(daemon.ofType('error').map((error) => error.code)).toEqual(['conflict']);
    const detail = await harness.api('GET', `/api/tasks/${taskId}`);
    expect(detail.json.task).toMatchObject({ status: 'running', lastSeq: 4 });
    expect(detail.json.events.map((event: { seq: number; type: string }) => [event.seq, event.type])).toEqual(
      [[1, 'task:started']],
    );
  });

  it('applies the lifecycle and never changes a terminal state', async () => {
    const daemon = await connect();
    const taskId = (await harness.api('POST', '/api/tasks', { goal: 'life' })).json.id as string;
    daemon.send({ type: 'task:started', taskId, seq: 1, spaceId: 's' });
    const usage = { inputTokens: 3, outputTokens: 4, totalTokens: 7 };
    daemon.send({ type: 'task:progress', taskId, seq: 2, event: { kind: 'usage', usage } });
    daemon.send({ type: 'task:completed', taskId, seq: 3, result: { text: 'done', usage } });
    daemon.send({ type: 'task:error', taskId, seq: 4, error: 'late' });
    await waitFor(() => daemon.ofType('task:ack').at(-1)?.seq === 4);
    const task = await taskStatus(taskId);
    expect(task).toMatchObject({
      status: 'completed',
      result: { text: 'done' },
      usage,
      error: null,
      lastSeq: 4,
    });
    expect(task.startedAt).not.toBeNull();
    expect(task.endedAt).not.toBeNull();
  });

  it('rejects events for unknown tasks and tasks of another viber', async () => {
    const other = await harness.gateway.registerViber('other');
    const otherTask = await harness.api('POST', '/api/tasks', { goal: 'theirs', viberId: other.id });
    const daemon = await connect();
    daemon.send({ type: 'task:started', taskId: 'task_missing', seq: 1, spaceId: 's' });
    daemon.send({ type: 'task:started', taskId: otherTask.json.id, seq: 1, spaceId: 's' });
    await waitFor(() => daemon.ofType('error').length === 2);
    expect(daemon.ofType('error').map((error) => error.code)).toEqual(['not_found', 'forbidden']);
    expect((await taskStatus(otherTask.json.id)).status).toBe('pending');
  });

  it('asks a connected daemon to stop a running task, which reports stopped', async () => {
    const daemon = await connect();
    const taskId = (await harness.api('POST', '/api/tasks', { goal: 'long' })).json.id as string;
    await daemon.startTask(taskId);
    await waitForStatus(taskId, 'running');
    const stop = await harness.api('POST', `/api/tasks/${taskId}/stop`);
    expect(stop.json).toMatchObject({ status: 'running', stopRequested: true });
    await daemon.waitFor((message) => message.type === 'task:stop' && message.taskId === taskId);
    daemon.send({ type: 'task:stopped', taskId, seq: 2, reason: 'operator' });
    await waitForStatus(taskId, 'stopped');
  });

  it('stops a task of an offline viber at once and stops it again if the daemon returns with it', async () => {
    const daemon = await connect();
    const taskId = (await harness.api('POST', '/api/tasks', { goal: 'long' })).json.id as string;
    await daemon.startTask(taskId);
    await waitForStatus(taskId, 'running');
    await daemon.close();
    await waitFor(
      async () => (await harness.api('GET', `/api/vibers/${viber.id}`)).json.presence === 'offline',
    );
    const stop = await harness.api('POST', `/api/tasks/${taskId}/stop`);
    expect(stop.json).toMatchObject({ status: 'stopped', error: expect.stringMatching(/offline/) });
    const back = await connect([taskId]);
    await back.waitFor((message) => message.type === 'task:stop' && message.taskId === taskId);
  });

  it('ends a running task the reconnecting daemon no longer has', async () => {
    const daemon = await connect();
    const taskId = (await harness.api('POST', '/api/tasks', { goal: 'lost' })).json.id as string;
    await daemon.startTask(taskId);
    await waitForStatus(taskId, 'running');
    await daemon.close();
    await connect([]);
    await waitForStatus(taskId, 'error');
    expect((await taskStatus(taskId)).error).toBe(RESTARTED_REASON);
  });

  it('records heartbeats and derives presence', async () => {
    const daemon = await connect();
    const taskId = (await harness.api('POST', '/api/tasks', { goal: 'busy' })).json.id as string;
    daemon.send({ type: 'heartbeat', status: { state: 'busy', runningTasks: 1, uptimeSeconds: 5 } });
    daemon.send({ type: 'task:started', taskId, seq: 1, spaceId: 's' });
    await waitFor(async () => (await harness.api('GET', `/api/vibers/${viber.id}`)).json.presence === 'busy');
    const view = (await harness.api('GET', `/api/vibers/${viber.id}`)).json;
    expect(view.status).toMatchObject({ state: 'busy', runningTasks: 1 });
    expect(view.lastHeartbeatAt).not.toBeNull();
    expect(view.info).toMatchObject({ id: viber.id, version: 'test' });
    expect((await harness.api('GET', '/health')).json).toEqual({
      status: 'ok',
      vibers: 1,
      tasks: 1,
      version: expect.any(String),
    });
  });

  it('keeps tasks, events and the outbox across a gateway restart', async () => {
    const daemon = await connect();
    const runId = (await harness.api('POST', '/api/tasks', { goal: 'streamed' })).json.id as string;
    await daemon.startTask(runId);
    daemon.send({
      type: 'task:stream-chunk',
      taskId: runId,
      seq: 2,
      chunk: { type: 'text-delta', id: 't', delta: 'hi' },
    });
    await waitFor(() => daemon.ofType('task:ack').at(-1)?.seq === 2);
    await daemon.close();
    const queuedId = (await harness.api('POST', '/api/tasks', { goal: 'queued' })).json.id as string;
    await harness.api('POST', `/api/tasks/${queuedId}/messages`, { message: 'and this' });

    await harness.gateway.close();
    await harness.restart();

    const detail = (await harness.api('GET', `/api/tasks/${runId}`)).json;
    expect(detail.task).toMatchObject({ status: 'running', lastSeq: 2 });
    const back = await connect([runId]);
    const redelivered = await back.waitFor((message) => message.type === 'task:message');
    expect(redelivered).toMatchObject({ taskId: queuedId, message: 'and this' });
    expect(back.ofType('task:submit').map((message) => message.taskId)).toEqual([queuedId]);
    // The log continues where it stopped: seq 2 is a duplicate, 3 is new.
    back.send({
      type: 'task:stream-chunk',
      taskId: runId,
      seq: 2,
      chunk: { type: 'text-delta', id: 't', delta: 'hi' },
    });
    back.send({ type: 'task:completed', taskId: runId, seq: 3, result: { text: 'hi' } });
    await waitForStatus(runId, 'completed');
    await waitFor(() => back.ofType('task:ack').at(-1)?.seq === 3);
    // The duplicate is answered too: [2, 3], or [3] when both frames were committed together.
    expect([[2, 3], [3]]).toContainEqual(back.ofType('task:ack').map((ack) => ack.seq));
  });
});
