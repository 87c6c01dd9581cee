import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeDaemon } from '../../../test/support/fake-daemon.ts';
import { TEST_OPERATOR_TOKEN, TestGateway } from '../../../test/support/in-process/test-gateway.ts';
import { SseRecorder } from '../../../test/support/sse-recorder.ts';
import { waitFor } from '../../../test/support/wait.ts';
import { type BoardEvent, BoardEventSchema } from '../../protocol/index.ts';

describe('board events (GET /api/events)', () => {
  let harness: TestGateway;
  const clients: SseRecorder[] = [];
  beforeEach(async () => {
    harness = await TestGateway.start();
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.abort();
    await harness.cleanup();
  });

  function connect(): SseRecorder {
    const client = new SseRecorder(`${harness.gateway.url}/api/events`, {
      authorization: `Bearer ${TEST_OPERATOR_TOKEN}`,
    });
    clients.push(client);
    return client;
  }
  const eventsOf = (client: SseRecorder): BoardEvent[] =>
    client.events.map((event) => BoardEventSchema.parse(JSON.parse(event.data)));
  async function waitForEvent(client: SseRecorder, predicate: (event: BoardEvent) => boolean, what: string) {
    await waitFor(() => eventsOf(client).some(predicate), { timeoutMs: 10_000, description: what });
    return eventsOf(client).find(predicate)!;
  }

  it('announces ready first, then pushes task and viber changes with increasing ids', async () => {
    const viber = await harness.gateway.registerViber('laptop');
    const client = connect();
    await client.waitForEvents(1);
    expect(client.status).toBe(200);
    expect(client.headers?.get('content-type')).toBe('text/event-stream');
    expect(eventsOf(client)[0]).toEqual({ type: 'events.ready', activities: {}, heartbeatMs: 15_000 });

    const daemon = await FakeDaemon.connect(harness.gateway.wsUrl, { viberId: viber.id, token: viber.token });
    await waitForEvent(
      client,
      (event) => event.type === 'viber.updated' && event.viber.presence === 'online',
      'the viber online',
    );

    const taskId = (await harness.api('POST', '/api/tasks', { goal: 'hello' })).json.id as string;
    await waitForEvent(
      client,
      (event) => event.type === 'task.created' && event.task.id === taskId,
      'created',
    );
    await daemon.startTask(taskId);
    await waitForEvent(
      client,
      (event) => event.type === 'viber.updated' && event.viber.presence === 'busy',
      'the viber busy',
    );
    daemon.send({
      type: 'task:progress',
      taskId,
      seq: 2,
      event: { kind: 'status', detail: 'awaiting-approval' },
    });
    const waiting = await waitForEvent(
      client,
      (event) => event.type === 'task.updated' && event.activity === 'awaiting-approval',
      'awaiting approval',
    );
    expect(waiting).toMatchObject({ task: { id: taskId, status: 'running' } });
    // A client connecting now learns the activity in its ready event.
    const late = connect();
    await late.waitForEvents(1);
    expect(eventsOf(late)[0]).toMatchObject({
      type: 'events.ready',
      activities: { [taskId]: 'awaiting-approval' },
    });

    const chunksBefore = client.events.length;
    daemon.send({
      type: 'task:stream-chunk',
      taskId,
      seq: 3,
      chunk: { type: 'text-delta', id: 't', delta: 'x' },
    });
    daemon.send({ type: 'task:completed', taskId, seq: 4, result: { text: 'done' } });
    await waitForEvent(
      client,
      (event) => event.type === 'task.updated' && event.task.status === 'completed',
      'completed',
    );
    // Stream chunks stay on the task stream.
    expect(
      eventsOf(client)
        .slice(chunksBefore)
        .filter((event) => event.type === 'task.updated'),
    ).toHaveLength(1);
    expect(eventsOf(client).findLast((event) => event.type === 'task.updated')).toMatchObject({
      activity: null,
    });

    await daemon.close();
    await waitForEvent(
      client,
      (event) => event.type === 'viber.updated' && event.viber.presence === 'offline',
      'the viber offline',
    );
    await harness.api('DELETE', `/api/vibers/${viber.id}`);
    await waitForEvent(client, (event) => event.type === 'viber.revoked', 'revoked');

    const ids = client.events.map((event) => Number(event.id));
    expect(ids).toEqual(ids.map((_, index) => index + 1));
  });

  it('ends open event streams when the gateway closes', async () => {
    const client = connect();
    await client.waitForEvents(1);
    await harness.gateway.close();
    await client.waitForEnd();
  });
});
