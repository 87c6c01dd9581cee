import {
  parseJsonEventStream,
  readUIMessageStream,
  type UIMessage,
  type UIMessageChunk,
  uiMessageChunkSchema,
} from 'ai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeDaemon } from '../../../test/support/fake-daemon.ts';
import { TEST_OPERATOR_TOKEN, TestGateway } from '../../../test/support/in-process/test-gateway.ts';
import { SseRecorder } from '../../../test/support/sse-recorder.ts';
import { waitFor } from '../../../test/support/wait.ts';

type ParseResult<T> = { success: true; value: T } | { success: false; error: unknown };
const auth = { authorization: `Bearer ${TEST_OPERATOR_TOKEN}` };
const delta = (n: number) => ({ type: 'text-delta', id: 'text-1', delta: `part ${n} "quoted" ünï` });

describe('gateway SSE task stream', () => {
  let harness: TestGateway;
  let daemon: FakeDaemon;
  let taskId: string;
  const clients: SseRecorder[] = [];
  const open = (query = '', headers: Record<string, string> = {}) => {
    const client = new SseRecorder(`${harness.gateway.url}/api/tasks/${taskId}/stream${query}`, {
      ...auth,
      ...headers,
    });
    clients.push(client);
    return client;
  };
  /** seq 1 = task:started, seq 2..n+1 = chunks. */
  const streamChunks = (from: number, to: number) => {
    for (let n = from; n <= to; n++)
      daemon.send({ type: 'task:stream-chunk', taskId, seq: n + 1, chunk: delta(n) });
  };
  const chunkIds = (client: SseRecorder) =>
    client.events.filter((event) => event.id).map((event) => Number(event.id));

  beforeEach(async () => {
    harness = await TestGateway.start();
    const viber = await harness.gateway.registerViber('v');
    daemon = await FakeDaemon.connect(harness.gateway.wsUrl, { viberId: viber.id, token: viber.token });
    taskId = (await harness.api('POST', '/api/tasks', { goal: 'stream' })).json.id;
    await daemon.startTask(taskId);
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.abort();
    await daemon.close();
    await harness.cleanup();
  });

  it('replays a finished task from the start with ids, the exact headers and [DONE]', async () => {
    streamChunks(1, 20);
    daemon.send({ type: 'task:completed', taskId, seq: 22, result: { text: 'done' } });
    await waitFor(() => daemon.ofType('task:ack').at(-1)?.seq === 22);
    const client = open();
    await client.waitForEnd();
    expect(client.status).toBe(200);
    expect(client.headers?.get('content-type')).toBe('text/event-stream');
    expect(client.headers?.get('cache-control')).toBe('no-cache');
    expect(client.headers?.get('connection')).toBe('keep-alive');
    expect(client.headers?.get('x-vercel-ai-ui-message-stream')).toBe('v1');
    expect(client.headers?.get('x-accel-buffering')).toBe('no');
    expect(chunkIds(client)).toEqual(Array.from({ length: 20 }, (_, i) => i + 2));
    expect(JSON.parse(client.events[0]!.data)).toEqual(delta(1));
    expect(client.events.at(-1)).toEqual({ data: '[DONE]' });
  });

  it("is read unchanged by the AI SDK's own client-side parsing", async () => {
    const chunks = [
      { type: 'start', messageId: 'm1' },
      { type: 'start-step' },
      { type: 'text-start', id: 't1' },
      { type: 'text-delta', id: 't1', delta: 'Hello, ' },
      { type: 'text-delta', id: 't1', delta: 'wörld "quoted"\nnext line' },
      { type: 'text-end', id: 't1' },
      { type: 'finish-step' },
      { type: 'finish' },
    ];
    for (const [index, chunk] of chunks.entries()) {
      daemon.send({ type: 'task:stream-chunk', taskId, seq: index + 2, chunk });
    }
    daemon.send({ type: 'task:completed', taskId, seq: chunks.length + 2, result: { text: 'Hello' } });
    const response = await fetch(`${harness.gateway.url}/api/tasks/${taskId}/stream`, { headers: auth });
    const parsed = parseJsonEventStream({ stream: response.body!, schema: uiMessageChunkSchema });
    const uiChunks = parsed.pipeThrough(
      new TransformStream<ParseResult<UIMessageChunk>, UIMessageChunk>({
        transform(result, controller) {
          if (!result.success) throw result.error;
          controller.enqueue(result.value);
        },
      }),
    );
    let last: UIMessage | undefined;
    for await (const message of readUIMessageStream({ stream: uiChunks })) last = message;
    expect(last?.id).toBe('m1');
    expect(last?.parts.filter((part) => part.type === 'text').map((part) => part.text)).toEqual([
      'Hello, wörld "quoted"\nnext line',
    ]);
  });

  it('resumes after Last-Event-ID or ?after= without repeating anything', async () => {
    streamChunks(1, 10);
    daemon.send({ type: 'task:completed', taskId, seq: 12, result: { text: 'done' } });
    await waitFor(() => daemon.ofType('task:ack').at(-1)?.seq === 12);
    const byHeader = open('', { 'last-event-id': '6' });
    const byQuery = open('?after=9');
    await Promise.all([byHeader.waitForEnd(), byQuery.waitForEnd()]);
    expect(chunkIds(byHeader)).toEqual([7, 8, 9, 10, 11]);
    expect(chunkIds(byQuery)).toEqual([10, 11]);
    expect(byQuery.events.at(-1)?.data).toBe('[DONE]');
  });

  it('tails a live task with no gap and no duplicate, then ends with [DONE]', async () => {
    streamChunks(1, 50);
    const early = open();
    await early.waitForEvents(5);
    streamChunks(51, 300);
    const late = open('?after=100');
    streamChunks(301, 400);
    await waitFor(() => daemon.ofType('task:ack').at(-1)?.seq === 401);
    daemon.send({ type: 'task:completed', taskId, seq: 402, result: { text: 'done' } });
    await Promise.all([early.waitForEnd(), late.waitForEnd()]);
    expect(chunkIds(early)).toEqual(Array.from({ length: 400 }, (_, i) => i + 2));
    expect(chunkIds(late)).toEqual(Array.from({ length: 301 }, (_, i) => i + 101));
    expect(early.events.at(-1)?.data).toBe('[DONE]');
  });

  it('adds an error chunk when a task fails without one, and not when it had one', async () => {
    streamChunks(1, 2);
    daemon.send({ type: 'task:error', taskId, seq: 4, error: 'model exploded' });
    const client = open();
    await client.waitForEnd();
    expect(client.events.slice(-2)).toEqual([
      { data: JSON.stringify({ type: 'error', errorText: 'model exploded' }) },
      { data: '[DONE]' },
    ]);

    const second = (await harness.api('POST', '/api/tasks', { goal: 'two' })).json.id as string;
    daemon.send({ type: 'task:started', taskId: second, seq: 1, spaceId: 's' });
    daemon.send({
      type: 'task:stream-chunk',
      taskId: second,
      seq: 2,
      chunk: { type: 'error', errorText: 'boom' },
    });
    daemon.send({ type: 'task:error', taskId: second, seq: 3, error: 'boom' });
    await waitFor(() => daemon.ofType('task:ack').some((ack) => ack.taskId === second && ack.seq === 3));
    for (const query of ['', '?after=2']) {
      const replay = new SseRecorder(`${harness.gateway.url}/api/tasks/${second}/stream${query}`, auth);
      clients.push(replay);
      await replay.waitForEnd();
      expect(replay.events.filter((event) => event.data.includes('"error"'))).toHaveLength(query ? 0 : 1);
      expect(replay.events.at(-1)?.data).toBe('[DONE]');
    }
  });

  it('ends the stream of a task the gateway stops itself', async () => {
    streamChunks(1, 3);
    const client = open();
    await client.waitForEvents(3);
    await daemon.close();
    await waitFor(async () => (await harness.api('GET', '/health')).json.vibers === 0);
    await harness.api('POST', `/api/tasks/${taskId}/stop`);
    await client.waitForEnd();
    expect(client.events.at(-1)?.data).toBe('[DONE]');
  });
});
