import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayConnection } from '../../test/support/fake-gateway.ts';
import { type DaemonFixture, startFixture } from '../../test/support/in-process/daemon-fixture.ts';
import { waitFor } from '../../test/support/wait.ts';
import { sessionsDir } from '../core/home.ts';
import type { GatewayMessage } from '../protocol/index.ts';

let fixture: DaemonFixture | undefined;
afterEach(async () => {
  await fixture?.cleanup();
  fixture = undefined;
});

let commandCount = 0;
function submit(connection: GatewayConnection, taskId: string, extra: Partial<GatewayMessage> = {}): string {
  const commandId = `cmd-${++commandCount}`;
  connection.send({
    type: 'task:submit',
    commandId,
    taskId,
    goal: 'do the thing',
    ...extra,
  } as GatewayMessage);
  return commandId;
}

function command(connection: GatewayConnection, message: GatewayMessage): string {
  connection.send(message);
  return 'commandId' in message ? message.commandId : '';
}

async function acked(connection: GatewayConnection, commandId: string): Promise<void> {
  await connection.waitFor('command:ack', (ack) => ack.commandId === commandId);
}

/** A ping answered proves every frame the daemon sent before it has arrived. */
async function barrier(connection: GatewayConnection): Promise<void> {
  const pongs = connection.ofType('pong').length;
  connection.send({ type: 'ping' });
  await waitFor(() => connection.ofType('pong').length > pongs, { description: 'pong' });
}

async function connectedFixture(): Promise<{ fixture: DaemonFixture; connection: GatewayConnection }> {
  const created = await startFixture();
  const connection = await created.gateway.connection(1);
  await connection.waitFor('connected');
  return { fixture: created, connection };
}

describe('daemon tasks', () => {
  it('runs a task, relays every chunk numbered in order, and logs the session', async () => {
    let connection: GatewayConnection;
    ({ fixture, connection } = await connectedFixture());
    await acked(
      connection,
      submit(connection, 'task_one', { messages: [{ role: 'user', content: 'before' }] }),
    );
    const task = fixture.agent.task('task_one');
    // Without a cwd the task gets its own folder (docs/agent.md), never the shared workspace.
    expect(task.request).toMatchObject({
      goal: 'do the thing',
      options: { cwd: join(fixture.home.workspace, 'task_one') },
    });
    expect(task.environment.home).toBe(fixture.home);
    task.text(3);
    task.progress({ kind: 'status', detail: 'thinking' });
    task.end({ status: 'completed', result: { text: 'part-1 part-2 part-3' } });
    const completed = await connection.waitFor('task:completed');
    expect(completed).toEqual({
      type: 'task:completed',
      taskId: 'task_one',
      seq: 6,
      result: { text: 'part-1 part-2 part-3' },
    });
    expect(connection.seqs('task_one')).toEqual([1, 2, 3, 4, 5, 6]);
    expect(connection.ofType('task:started')[0]).toEqual({
      type: 'task:started',
      taskId: 'task_one',
      seq: 1,
      spaceId: join(fixture.home.workspace, 'task_one'),
    });
    expect(fixture.daemon.info().runningTasks).toEqual(['task_one']);
    connection.send({ type: 'task:ack', taskId: 'task_one', seq: 6 });
    await waitFor(() => fixture!.daemon.info().runningTasks.length === 0, {
      description: 'the task to be forgotten',
    });

    const path = join(sessionsDir(fixture.home), 'task_one.jsonl');
    const lines = await waitFor(
      () => {
        try {
          const text = readFileSync(path, 'utf8');
          return text.includes('"outcome"')
            ? text
                .trimEnd()
                .split('\n')
                .map((line) => JSON.parse(line))
            : undefined;
        } catch {
          return undefined;
        }
      },
      { description: 'the session log' },
    );
    expect(lines.map((line) => line.kind)).toEqual([
      'submit',
      'chunk',
      'chunk',
      'chunk',
      'progress',
      'outcome',
    ]);
    expect(lines[0]).toMatchObject({ goal: 'do the thing', messages: [{ role: 'user', content: 'before' }] });
    expect(lines[1]).toMatchObject({ seq: 2, chunk: { type: 'text-delta', delta: 'part-1 ' } });
    expect(lines[5]).toMatchObject({ status: 'completed', result: { text: 'part-1 part-2 part-3' } });
  });

  it('replays exactly the unacknowledged events after a reconnect, in order, and nothing acknowledged', async () => {
    let first: GatewayConnection;
    ({ fixture, connection: first } = await connectedFixture());
    await acked(first, submit(first, 'task_replay'));
    const task = fixture.agent.task('task_replay');
    task.text(4);
    await waitFor(() => first.seqs('task_replay').length === 5, { description: 'five events' });
    first.send({ type: 'task:ack', taskId: 'task_replay', seq: 2 });
    await barrier(first);
    first.socket.terminate();

    const second = await fixture.gateway.connection(2);
    await second.waitFor('connected');
    await barrier(second);
    expect(second.ofType('connected')[0]!.viber.runningTasks).toEqual(['task_replay']);
    expect(second.seqs('task_replay')).toEqual([3, 4, 5]);
    expect(second.messages.slice(1, 4).map((message) => message.type)).toEqual(
      Array(3).fill('task:stream-chunk'),
    );

    task.text(2, 5);
    task.end({ status: 'completed', result: { text: 'done' } });
    await second.waitFor('task:completed');
    expect(second.seqs('task_replay')).toEqual([3, 4, 5, 6, 7, 8]);
    second.send({ type: 'task:ack', taskId: 'task_replay', seq: 8 });
    await barrier(second);
    second.socket.terminate();

    const third = await fixture.gateway.connection(3);
    await third.waitFor('connected');
    await barrier(third);
    expect(third.ofType('connected')[0]!.viber.runningTasks).toEqual([]);
    expect(third.seqs('task_replay')).toEqual([]);
  });

  it('keeps events produced while offline and sends them in order on reconnect', async () => {
    let first: GatewayConnection;
    ({ fixture, connection: first } = await connectedFixture());
    await acked(first, submit(first, 'task_offline'));
    await first.waitFor('task:started');
    first.send({ type: 'task:ack', taskId: 'task_offline', seq: 1 });
    await barrier(first);
    fixture.gateway.refuseWith = { status: 503, body: 'restarting' };
    first.socket.terminate();
    await waitFor(() => fixture!.daemon.controller.state === 'waiting', {
      description: 'the daemon to be offline',
    });
    const task = fixture.agent.task('task_offline');
    task.text(3);
    task.end({ status: 'error', error: 'model failed' });
    fixture.gateway.refuseWith = undefined;

    const second = await fixture.gateway.connection(2);
    await second.waitFor('task:error');
    expect(second.seqs('task_offline')).toEqual([2, 3, 4, 5]);
    expect(second.ofType('task:error')[0]).toMatchObject({ seq: 5, error: 'model failed' });
    expect(second.ofType('connected')[0]!.viber.runningTasks).toEqual(['task_offline']);
  });

  it('acknowledges a duplicate submit and does not run the task twice', async () => {
    let connection: GatewayConnection;
    ({ fixture, connection } = await connectedFixture());
    const message = { type: 'task:submit', commandId: 'cmd-dup', taskId: 'task_dup', goal: 'once' } as const;
    connection.send(message);
    connection.send(message);
    await waitFor(() => connection.ofType('command:ack').length === 2, { description: 'two acks' });
    await acked(connection, submit(connection, 'task_dup'));
    expect(fixture.agent.starts).toBe(1);
    fixture.agent.task('task_dup').end({ status: 'completed', result: { text: '' } });
    await connection.waitFor('task:completed');
    connection.send({ type: 'task:ack', taskId: 'task_dup', seq: 2 });
    await waitFor(() => fixture!.daemon.info().runningTasks.length === 0, {
      description: 'the task to be forgotten',
    });
    await acked(connection, submit(connection, 'task_dup'));
    expect(fixture.agent.starts).toBe(1);
    expect(connection.seqs('task_dup')).toEqual([1, 2]);
    expect(connection.ofType('error')).toEqual([]);
  });

  it('routes stop, follow-ups and approvals, and answers for unknown tasks and approvals', async () => {
    let connection: GatewayConnection;
    ({ fixture, connection } = await connectedFixture());
    await acked(connection, submit(connection, 'task_route'));
    const task = fixture.agent.task('task_route');
    task.waitingApprovals.add('appr_1');

    const base = { taskId: 'task_route' } as const;
    await acked(
      connection,
      command(connection, {
        type: 'task:message',
        commandId: 'm1',
        ...base,
        messageId: 'msg_1',
        message: 'also this',
        injectionMode: 'steer',
      }),
    );
    expect(task.received).toEqual([{ id: 'msg_1', text: 'also this', injectionMode: 'steer' }]);
    await acked(
      connection,
      command(connection, {
        type: 'task:approval',
        commandId: 'a1',
        ...base,
        approvalId: 'appr_1',
        approved: true,
        reason: 'fine',
      }),
    );
    expect(task.answers).toEqual([{ approvalId: 'appr_1', approved: true, reason: 'fine' }]);
    await acked(
      connection,
      command(connection, {
        type: 'task:approval',
        commandId: 'a2',
        ...base,
        approvalId: 'appr_9',
        approved: false,
      }),
    );
    expect(connection.ofType('error').find((error) => error.commandId === 'a2')).toMatchObject({
      code: 'not_found',
      message: expect.stringContaining('appr_9'),
    });
    await acked(connection, command(connection, { type: 'task:stop', commandId: 's1', ...base }));
    expect(task.stopReasons).toEqual(['stopped by operator']);
    expect(await connection.waitFor('task:stopped')).toMatchObject({ seq: 2, reason: 'stopped by operator' });

    await acked(
      connection,
      command(connection, {
        type: 'task:message',
        commandId: 'm2',
        ...base,
        messageId: 'msg_2',
        message: 'late',
        injectionMode: 'followup',
      }),
    );
    expect(connection.ofType('error').find((error) => error.commandId === 'm2')).toMatchObject({
      code: 'task_finished',
    });
    await acked(
      connection,
      command(connection, { type: 'task:stop', commandId: 's2', taskId: 'task_nowhere' }),
    );
    expect(connection.ofType('error').find((error) => error.commandId === 's2')).toMatchObject({
      code: 'not_found',
    });
    expect(task.received).toHaveLength(1);
  });

  it('fails a task at once for a missing working directory, an unsafe id, or an agent that cannot start', async () => {
    let connection: GatewayConnection;
    ({ fixture, connection } = await connectedFixture());
    submit(connection, 'task_nodir', { options: { cwd: '/definitely/not/here' } });
    submit(connection, '../escape');
    const error = (taskId: string) => connection.waitFor('task:error', (event) => event.taskId === taskId);
    expect(await error('task_nodir')).toMatchObject({
      seq: 1,
      error: 'working directory /definitely/not/here does not exist on this viber',
    });
    expect(await error('../escape')).toMatchObject({
      seq: 1,
      error: expect.stringContaining('letters, digits'),
    });
    expect(fixture.agent.starts).toBe(0);
    await fixture.cleanup();

    fixture = await startFixture({
      startAgentTask: () => {
        throw new Error('no model configured');
      },
    });
    connection = await fixture.gateway.connection(1);
    submit(connection, 'task_nomodel');
    expect(await connection.waitFor('task:error')).toMatchObject({
      seq: 2,
      error: 'the agent could not start: no model configured',
    });
    expect(connection.seqs('task_nomodel')).toEqual([1, 2]);
  });

  it('answers config:push with the config version and real validations', async () => {
    let connection: GatewayConnection;
    ({ fixture, connection } = await connectedFixture());
    const content = JSON.stringify({ model: 'custom/llama3' });
    mkdirSync(fixture.home.config, { recursive: true });
    writeFileSync(join(fixture.home.config, 'config.json'), content);
    connection.send({ type: 'config:push' });
    const ack = await connection.waitFor('config:ack');
    expect(ack.configVersion).toBe(createHash('sha256').update(content).digest('hex'));
    expect(ack.validations.find((validation) => validation.category === 'llm_keys')).toMatchObject({
      status: 'failed',
      message: expect.stringContaining('OPENVIBER_BASE_URL'),
    });
    expect(ack.validations.map((validation) => validation.category).sort()).toEqual([
      'binary_deps',
      'env_secrets',
      'llm_keys',
      'oauth',
      'sandbox',
      'skills',
    ]);
    // This machine has bubblewrap (CI installs it): the check says the credentials are hidden.
    expect(ack.validations.find((validation) => validation.category === 'sandbox')).toMatchObject({
      status: 'verified',
      message: expect.stringContaining('hidden'),
    });
  });

  it('stops its tasks when closed and reports them stopped', async () => {
    let connection: GatewayConnection;
    ({ fixture, connection } = await connectedFixture());
    await acked(connection, submit(connection, 'task_close'));
    fixture.gateway.autoAck = true;
    await fixture.daemon.close();
    expect(fixture.daemon.info().runningTasks).toEqual([]);
    expect(fixture.agent.task('task_close').stopReasons).toEqual(['daemon shutting down']);
    expect(connection.ofType('task:stopped')).toEqual([
      { type: 'task:stopped', taskId: 'task_close', seq: 2, reason: 'daemon shutting down' },
    ]);
    expect(fixture.daemon.controller.state).toBe('closed');
  });

  it('stops a task whose events pile up past the outbox bound', async () => {
    fixture = await startFixture({ outbox: { maxEvents: 5 } });
    const connection = await fixture.gateway.connection(1);
    submit(connection, 'task_flood');
    const task = await waitFor(() => fixture!.agent.tasks.get('task_flood'), { description: 'the task' });
    task.text(20);
    expect(task.stopReasons).toEqual([
      expect.stringMatching(/^outbox full: the gateway has not acknowledged 6 events/),
    ]);
    const stopped = await connection.waitFor('task:stopped');
    expect(stopped.seq).toBe(7);
    expect(connection.seqs('task_flood')).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });
});
