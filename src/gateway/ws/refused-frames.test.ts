import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeDaemon } from '../../../test/support/fake-daemon.ts';
import { TEST_OPERATOR_TOKEN, TestGateway } from '../../../test/support/in-process/test-gateway.ts';
import { SseRecorder } from '../../../test/support/sse-recorder.ts';
import { waitFor } from '../../../test/support/wait.ts';
import { type GatewayMessage, LIMITS } from '../../protocol/index.ts';

// Items 4 and 5 of the hardening issue: a task event the gateway refuses for its size or shape is
// dropped with an error event stored at its seq and acknowledged, so the daemon never resends it;
// the connection and the viber's other tasks carry on.

type Submit = Extract<GatewayMessage, { type: 'task:submit' }>;

describe('task events the gateway refuses', () => {
  let harness: TestGateway;
  let daemon: FakeDaemon;
  let taskA: string;
  let taskB: string;

  const task = async (taskId: string) => (await harness.api('GET', `/api/tasks/${taskId}`)).json.task;
  const acked = (taskId: string, seq: number) =>
    waitFor(() => daemon.ofType('task:ack').some((ack) => ack.taskId === taskId && ack.seq === seq), {
      description: `task:ack ${taskId} ${seq}`,
    });
  const chunk = (taskId: string, seq: number, delta: string) =>
    daemon.send({ type: 'task:stream-chunk', taskId, seq, chunk: { type: 'text-delta', id: 't', delta } });
  const replay = async (taskId: string) => {
    const client = new SseRecorder(`${harness.gateway.url}/api/tasks/${taskId}/stream`, {
      authorization: `Bearer ${TEST_OPERATOR_TOKEN}`,
    });
    await client.waitForEnd();
    return client.events;
  };

  beforeEach(async () => {
    harness = await TestGateway.start();
    const viber = await harness.gateway.registerViber('v');
    daemon = await FakeDaemon.connect(harness.gateway.wsUrl, { viberId: viber.id, token: viber.token });
    taskA = (await harness.api('POST', '/api/tasks', { goal: 'a' })).json.id;
    taskB = (await harness.api('POST', '/api/tasks', { goal: 'b' })).json.id;
    await waitFor(() => daemon.ofType('task:submit').length === 2);
    for (const submit of daemon.ofType('task:submit') as Submit[]) {
      daemon.send({ type: 'command:ack', commandId: submit.commandId });
      daemon.send({ type: 'task:started', taskId: submit.taskId, seq: 1, spaceId: 's' });
    }
    await acked(taskA, 1);
    await acked(taskB, 1);
  });
  afterEach(async () => {
    await daemon.close();
    await harness.cleanup();
  });

  it('ends a task whose final event is over the frame limit in error, and the others carry on', async () => {
    const text = 'x'.repeat(LIMITS.maxFrameBytes + 500_000);
    daemon.send({ type: 'task:completed', taskId: taskA, seq: 2, result: { text } });
    chunk(taskB, 2, 'still here');
    daemon.send({ type: 'task:completed', taskId: taskB, seq: 3, result: { text: 'done' } });
    await acked(taskA, 2);
    await acked(taskB, 3);
    expect(daemon.ofType('error')).toEqual([
      {
        type: 'error',
        code: 'payload_too_large',
        message: `frame exceeds ${LIMITS.maxFrameBytes} bytes`,
        taskId: taskA,
      },
    ]);
    expect(await task(taskA)).toMatchObject({
      status: 'error',
      lastSeq: 2,
      result: null,
      error: `the gateway refused task:completed seq 2 and dropped it: frame exceeds ${LIMITS.maxFrameBytes} bytes`,
    });
    expect(await task(taskB)).toMatchObject({ status: 'completed', lastSeq: 3, result: { text: 'done' } });
    expect(daemon.socket.readyState).toBe(daemon.socket.OPEN);

    // Resent as it is (a reconnect replay): a duplicate now, acknowledged and stored nowhere.
    daemon.send({ type: 'task:completed', taskId: taskA, seq: 2, result: { text } });
    await waitFor(
      () => daemon.ofType('task:ack').filter((ack) => ack.taskId === taskA && ack.seq === 2).length === 2,
    );
    expect((await task(taskA)).lastSeq).toBe(2);
    expect((await replay(taskA)).at(-1)?.data).toBe('[DONE]');
  });

  it('stores an error chunk in place of a chunk nested too deep or malformed, and the task goes on', async () => {
    // Deep enough that JSON.stringify of it overflows the stack: it used to drop the whole group commit.
    const levels = 20_000;
    daemon.send(
      `{"type":"task:stream-chunk","taskId":"${taskA}","seq":2,"chunk":{"type":"tool-input-available","input":${'['.repeat(levels)}${']'.repeat(levels)}}}`,
    );
    chunk(taskB, 2, 'b-2');
    daemon.send({ type: 'task:stream-chunk', taskId: taskA, seq: 3, chunk: { id: 'no type' } } as never);
    chunk(taskA, 4, 'a-4');
    daemon.send({ type: 'task:completed', taskId: taskA, seq: 5, result: { text: 'a done' } });
    daemon.send({ type: 'task:completed', taskId: taskB, seq: 3, result: { text: 'b done' } });
    await acked(taskA, 5);
    await acked(taskB, 3);

    const errors = daemon.ofType('error');
    expect(errors.map((error) => [error.code, error.taskId])).toEqual([
      ['validation_failed', taskA],
      ['validation_failed', taskA],
    ]);
    expect(errors[0]!.message).toBe(
      `task:stream-chunk: frame nests deeper than ${LIMITS.maxFrameDepth} levels`,
    );
    expect(errors[1]!.message).toMatch(/^task:stream-chunk: chunk\.type: /);
    expect(await task(taskA)).toMatchObject({ status: 'completed', lastSeq: 5, result: { text: 'a done' } });
    expect(await task(taskB)).toMatchObject({ status: 'completed', lastSeq: 3 });

    const events = await replay(taskA);
    expect(events.map((event) => event.id ?? event.data)).toEqual(['2', '3', '4', '[DONE]']);
    expect(JSON.parse(events[0]!.data)).toEqual({
      type: 'error',
      errorText: `the gateway refused task:stream-chunk seq 2 and dropped it: task:stream-chunk: frame nests deeper than ${LIMITS.maxFrameDepth} levels`,
    });
    expect(JSON.parse(events[1]!.data)).toMatchObject({ type: 'error' });
    expect(JSON.parse(events[2]!.data)).toEqual({ type: 'text-delta', id: 't', delta: 'a-4' });
  });

  it('answers a refused frame that names no task event as before, storing nothing', async () => {
    daemon.send({ type: 'task:stream-chunk', taskId: taskA, seq: 0, chunk: { type: 'x' } });
    daemon.send({ type: 'heartbeat', status: { state: 'idle' }, pad: [[[[]]]] } as never);
    await waitFor(() => daemon.ofType('error').length === 2);
    expect(daemon.ofType('error').map((error) => error.taskId)).toEqual([undefined, undefined]);
    expect((await task(taskA)).lastSeq).toBe(1);
  });
});
