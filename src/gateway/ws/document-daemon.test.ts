import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeDaemon } from '../../../test/support/fake-daemon.ts';
import { TEST_OPERATOR_TOKEN, TestGateway } from '../../../test/support/in-process/test-gateway.ts';
import { SeedDaemon, type SeedDaemonOptions, sseEvent } from '../../../test/support/seed-daemon.ts';
import { SseRecorder } from '../../../test/support/sse-recorder.ts';
import { waitFor } from '../../../test/support/wait.ts';
import { LIMITS } from '../../protocol/index.ts';

// Wire compatibility (issue 11, item 7): a daemon that authenticates its upgrade with the protocol
// document's headers negotiated no extension. The gateway numbers its events itself and sends it
// each command once, in the document's shape; what the document has no frame for is not sent.

describe('a daemon that speaks only the protocol document', () => {
  let harness: TestGateway;
  let viber: { id: string; token: string };
  const daemons: Array<{ close(): Promise<void> }> = [];

  const connect = async (options: Partial<SeedDaemonOptions> = {}) => {
    const daemon = await SeedDaemon.connect(harness.gateway.wsUrl, {
      viberId: viber.id,
      token: viber.token,
      onSubmit: () => undefined,
      ...options,
    });
    daemons.push(daemon);
    await daemon.waitFor((frame) => frame.type === 'welcome');
    return daemon;
  };
  const task = async (taskId: string) => (await harness.api('GET', `/api/tasks/${taskId}`)).json;
  const createTask = async (goal: string) =>
    (await harness.api('POST', '/api/tasks', { goal, viberId: viber.id })).json.id as string;
  const streamOf = (taskId: string) => {
    const recorder = new SseRecorder(`${harness.gateway.url}/api/tasks/${taskId}/stream`, {
      authorization: `Bearer ${TEST_OPERATOR_TOKEN}`,
    });
    daemons.push({ close: async () => recorder.abort() });
    return recorder;
  };
  const dataOf = (recorder: SseRecorder) =>
    recorder.events.filter((event) => event.data !== '[DONE]').map((event) => JSON.parse(event.data));

  beforeEach(async () => {
    harness = await TestGateway.start();
    viber = await harness.gateway.registerViber('seed');
  });
  afterEach(async () => {
    for (const daemon of daemons.splice(0)) await daemon.close();
    await harness.cleanup();
  });

  it('gets commands without commandId, each once, also across a reconnect, and never a task:ack', async () => {
    const first = await connect();
    const taskId = await createTask('Say hello.');
    expect(await first.waitFor((frame) => frame.type === 'task:submit')).toEqual({
      type: 'task:submit',
      taskId,
      goal: 'Say hello.',
    });
    first.send({ type: 'task:started', taskId, spaceId: 's' });
    first.streamChunk(
      taskId,
      `${sseEvent({ type: 'start', messageId: 'm' })}${sseEvent({ type: 'text-start', id: 't' })}`,
    );
    await waitFor(async () => (await task(taskId)).task.lastSeq === 3, {
      description: 'three events stored',
    });

    const sent = await harness.api('POST', `/api/tasks/${taskId}/messages`, { message: 'And goodbye.' });
    expect(sent.status).toBeLessThan(300);
    expect(await first.waitFor((frame) => frame.type === 'task:message')).toEqual({
      type: 'task:message',
      taskId,
      message: 'And goodbye.',
      injectionMode: 'followup',
    });
    // Sent once, so delivered: the outbox let go of it.
    await waitFor(async () => (await task(taskId)).messages[0]?.deliveredAt, { description: 'delivered' });

    // A reconnect: the new connection gets no command again, and the numbering goes on.
    await first.close();
    const second = await connect({ runningTasks: [taskId] });
    const other = await createTask('Another.');
    await second.waitFor((frame) => frame.type === 'task:submit');
    second.streamChunk(taskId, sseEvent({ type: 'text-delta', id: 't', delta: 'hi' }));
    await waitFor(async () => (await task(taskId)).task.lastSeq === 4, { description: 'the fourth event' });
    expect((await harness.api('POST', `/api/tasks/${taskId}/stop`)).status).toBe(202);
    expect(await second.waitFor((frame) => frame.type === 'task:stop')).toEqual({
      type: 'task:stop',
      taskId,
    });
    second.send({ type: 'task:error', taskId, error: { message: 'stopped by the operator' } });
    await waitFor(async () => (await task(taskId)).task.status === 'error', {
      description: 'the task ended',
    });

    const commands = [...first.received, ...second.received].filter((frame) => frame.type !== 'welcome');
    expect(commands.map((frame) => [frame.type, frame.taskId])).toEqual([
      ['task:submit', taskId],
      ['task:message', taskId],
      ['task:submit', other],
      ['task:stop', taskId],
    ]);
    expect(commands.every((frame) => !('commandId' in frame))).toBe(true);
    expect((await task(taskId)).task).toMatchObject({ status: 'error', error: 'stopped by the operator' });
    const stream = streamOf(taskId);
    await stream.waitForEnd();
    expect(stream.events.filter((event) => event.id).map((event) => Number(event.id))).toEqual([2, 3, 4]);
    expect(dataOf(stream)).toEqual([
      { type: 'start', messageId: 'm' },
      { type: 'text-start', id: 't' },
      { type: 'text-delta', id: 't', delta: 'hi' },
      { type: 'error', errorText: 'stopped by the operator' },
    ]);
  });

  it('does not send it an approval answer, and tells the task why', async () => {
    const daemon = await connect();
    const taskId = await createTask('Ask first.');
    await daemon.waitFor((frame) => frame.type === 'task:submit');
    daemon.send({ type: 'task:started', taskId, spaceId: 's' });
    daemon.streamChunk(
      taskId,
      sseEvent({ type: 'tool-approval-request', approvalId: 'approval-1', toolCallId: 'call-1' }),
    );
    await waitFor(async () => (await task(taskId)).task.lastSeq === 2, { description: 'the request stored' });
    const answer = await harness.api('POST', `/api/tasks/${taskId}/approvals/approval-1`, { approved: true });
    expect(answer.status).toBeLessThan(300);
    const stream = streamOf(taskId);
    await stream.waitForEvents(2);
    expect(dataOf(stream)[1]).toEqual({
      type: 'error',
      errorText: expect.stringContaining('approval answer was not delivered'),
    });
    expect(stream.events[1]?.id).toBe('3');
    // The daemon's own events go on after the gateway's.
    daemon.send({ type: 'task:completed', taskId, result: 'done' });
    await waitFor(async () => (await task(taskId)).task.status === 'completed', { description: 'completed' });
    expect((await task(taskId)).task).toMatchObject({ lastSeq: 4, result: { text: 'done' } });
    expect(daemon.received.map((frame) => frame.type)).toEqual(['welcome', 'task:submit']);
  });

  it('negotiates the extensions in the handshake: what both sides know, none for the document', async () => {
    const both = await FakeDaemon.connect(harness.gateway.wsUrl, {
      viberId: viber.id,
      token: viber.token,
      extensions: ['command-ack', 'telepathy', 'seq'],
    });
    expect(both.connectOk?.extensions).toEqual(['seq', 'command-ack']);
    await both.close();
    const plain = await FakeDaemon.connect(harness.gateway.wsUrl, {
      viberId: viber.id,
      token: viber.token,
      extensions: [],
    });
    daemons.push(plain);
    expect(plain.connectOk?.extensions).toEqual([]);
    const taskId = await createTask('Plainly.');
    // The document's task:submit, which the fake daemon's own (commandId) schema does not take.
    await waitFor(() => plain.invalid.length > 0, { description: 'a task:submit' });
    expect(JSON.parse(plain.invalid[0]!)).toEqual({ type: 'task:submit', taskId, goal: 'Plainly.' });
    plain.send(JSON.stringify({ type: 'task:stream-chunk', taskId, chunk: sseEvent({ type: 'start' }) }));
    plain.send(JSON.stringify({ type: 'task:error', taskId, error: 'out of ideas' }));
    await waitFor(async () => (await task(taskId)).task.status === 'error', {
      description: 'the task ended',
    });
    expect((await task(taskId)).task).toMatchObject({ lastSeq: 2, error: 'out of ideas' });
    expect(plain.received.map((message) => message.type)).toEqual(['welcome']);
  });

  it("reads its other frames as any daemon's, and ignores a progress event of a kind it does not know", async () => {
    const daemon = await connect();
    expect((await harness.api('POST', `/api/vibers/${viber.id}/config-push`)).status).toBeLessThan(300);
    expect(await daemon.waitFor((frame) => frame.type === 'config:push')).toEqual({ type: 'config:push' });
    const checkedAt = new Date().toISOString();
    daemon.send({
      type: 'config:ack',
      configVersion: 'v7',
      validations: [{ category: 'llm_keys', status: 'verified', checkedAt }],
    });
    daemon.send({ type: 'pong' });
    await waitFor(async () => (await harness.api('GET', `/api/vibers/${viber.id}`)).json.configState, {
      description: 'the config state stored',
    });
    const taskId = await createTask('Think.');
    await daemon.waitFor((frame) => frame.type === 'task:submit');
    daemon.send({ type: 'task:progress', taskId, event: { kind: 'status', detail: 'thinking' } });
    daemon.send({ type: 'task:progress', taskId, event: { status: 'running', delta: 'x' } });
    daemon.send({ type: 'task:completed', taskId, result: { text: 'thought', finishReason: 'stop' } });
    await waitFor(async () => (await task(taskId)).task.status === 'completed', { description: 'completed' });
    const detail = await task(taskId);
    expect(detail.task).toMatchObject({ lastSeq: 2, result: { text: 'thought', finishReason: 'stop' } });
    expect(detail.events.map((event: { type: string }) => event.type)).toEqual([
      'task:progress',
      'task:completed',
    ]);
    expect((await harness.api('GET', `/api/vibers/${viber.id}`)).json.configState).toMatchObject({
      configVersion: 'v7',
    });
    expect(daemon.ofType('error')).toEqual([]);
  });

  it('keeps environment commands in the outbox for a daemon that can acknowledge them', async () => {
    const env = await harness.api('POST', '/api/environments', {
      name: 'web-app',
      type: 'github',
      repoUrl: '/srv/repos/web-app.git',
    });
    expect(env.status).toBe(201);
    const bound = await harness.api('POST', `/api/environments/${env.json.id}/bindings`, {
      viberId: viber.id,
    });
    expect(bound.status).toBe(202);
    const seed = await connect();
    // Commands go out in order: the task's submit comes after where the prepare would have been.
    const taskId = await createTask('Go.');
    await seed.waitFor((frame) => frame.type === 'task:submit' && frame.taskId === taskId);
    expect(seed.received.map((frame) => frame.type)).toEqual(['welcome', 'task:submit']);
    await seed.close();
    const ours = await FakeDaemon.connect(harness.gateway.wsUrl, { viberId: viber.id, token: viber.token });
    daemons.push(ours);
    expect(await ours.waitFor((message) => message.type === 'environment:prepare')).toMatchObject({
      bindingId: bound.json.id,
    });
    // The task's submit went out once, to the daemon that could not acknowledge it.
    expect(ours.ofType('task:submit')).toEqual([]);
  });

  it('stores an error in place of a frame it refuses, and of an SSE event over the limit', async () => {
    const daemon = await connect();
    const taskId = await createTask('Break things.');
    await daemon.waitFor((frame) => frame.type === 'task:submit');
    daemon.send({ type: 'task:started', taskId, spaceId: 's' });
    // One event cut across two frames, together longer than the limit of an SSE event.
    const big = sseEvent({ type: 'text-delta', id: 't', delta: 'x'.repeat(LIMITS.maxFrameBytes) });
    const half = Math.floor(big.length / 2);
    daemon.streamChunk(taskId, big.slice(0, half));
    daemon.streamChunk(taskId, big.slice(half) + sseEvent({ type: 'text-start', id: 't' }));
    // A stream chunk that is not text: refused, an error chunk stored in its place.
    daemon.send({ type: 'task:stream-chunk', taskId, chunk: { type: 'text-delta' } });
    daemon.send({ type: 'task:completed', taskId, result: 42 });
    await waitFor(async () => (await task(taskId)).task.status === 'error', {
      description: 'the task ended',
    });
    expect((await task(taskId)).task.error).toMatch(/^the gateway refused task:completed and dropped it: /);
    const errors = await daemon.waitFor((frame) => frame.type === 'error' && frame.message !== undefined);
    expect(errors).toMatchObject({ code: 'validation_failed', taskId });
    const stream = streamOf(taskId);
    await stream.waitForEnd();
    const data = dataOf(stream);
    expect(data.map((chunk) => chunk.type)).toEqual(['error', 'text-start', 'error']);
    expect(data[0].errorText).toContain(`an SSE event longer than ${LIMITS.maxFrameBytes} characters`);
    expect(data[2].errorText).toMatch(/^the gateway refused task:stream-chunk and dropped it: /);
    expect(daemon.socket.readyState).toBe(daemon.socket.OPEN);
  });
});
