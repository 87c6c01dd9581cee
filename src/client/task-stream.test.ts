import { describe, expect, it } from 'vitest';
import {
  sendJson,
  sseEvent,
  startEventStream,
  useScriptedGateway,
} from '../../test/support/local-http-server.ts';
import type { createGatewayClient } from './gateway-client.ts';
import type { StreamReconnect, TaskStreamChunk } from './task-stream.ts';

// The task-stream follower against a scripted server: each connection answers as the test says,
// so every way a stream can break is exercised exactly. (task-stream-restart.test.ts kills a real
// gateway.)

/** Each stream request is answered by the next script. */
const scripted = useScriptedGateway({ token: 't' });

const delta = (text: string) => ({ type: 'text-delta', id: 't', delta: text });

async function follow(
  client: ReturnType<typeof createGatewayClient>,
  options: { after?: number; idleTimeoutMs?: number; signal?: AbortSignal } = {},
) {
  const chunks: TaskStreamChunk[] = [];
  const reconnects: StreamReconnect[] = [];
  const connects: Array<number | undefined> = [];
  for await (const chunk of client.followTaskStream('task_1', {
    ...options,
    backoff: { baseMs: 10, maxMs: 50 },
    onConnect: ({ lastSeq }) => connects.push(lastSeq),
    onReconnect: (reconnect) => reconnects.push(reconnect),
  })) {
    chunks.push(chunk);
  }
  return { chunks, reconnects, connects };
}

describe('followTaskStream', () => {
  it('resumes with Last-Event-ID after a drop and yields every chunk once, to [DONE]', async () => {
    const { server, client } = await scripted(
      (response) => {
        startEventStream(response);
        response.write(sseEvent({ type: 'text-start', id: 't' }, 1) + sseEvent(delta('a'), 2));
        setTimeout(() => response.destroy(), 50);
      },
      (response) => {
        startEventStream(response);
        // A repeat of seq 2 (a server that resent it) is skipped, not yielded twice.
        response.end(sseEvent(delta('a'), 2) + sseEvent(delta('b'), 3) + sseEvent('[DONE]'));
      },
    );
    const { chunks, reconnects, connects } = await follow(client);
    expect(chunks.map((chunk) => chunk.seq)).toEqual([1, 2, 3]);
    expect(connects).toEqual([undefined, 2]);
    expect(chunks[2]?.chunk).toEqual(delta('b'));
    expect(reconnects).toMatchObject([{ attempt: 1, lastSeq: 2, error: { code: 'unreachable' } }]);
    expect(server.requests.map((request) => request.headers['last-event-id'])).toEqual([undefined, '2']);
    expect(server.requests[0]).toMatchObject({ method: 'GET', url: '/api/tasks/task_1/stream' });
    expect(server.requests[0]?.headers.accept).toBe('text/event-stream');
  });

  it("starts after a given seq, and yields the gateway's closing error chunk (no id) once", async () => {
    const error = { type: 'error', errorText: 'the viber went away' };
    const { server, client } = await scripted(
      (response) => {
        startEventStream(response);
        response.write(sseEvent(delta('x'), 8) + sseEvent(error));
        // Ended without [DONE]: a gateway shutting down closes its streams this way.
        setTimeout(() => response.end(), 50);
      },
      (response) => {
        startEventStream(response);
        response.end(sseEvent(error) + sseEvent('[DONE]'));
      },
    );
    const { chunks } = await follow(client, { after: 7 });
    expect(chunks).toEqual([
      { seq: 8, chunk: delta('x') },
      { seq: undefined, chunk: error },
    ]);
    expect(server.requests.map((request) => request.headers['last-event-id'])).toEqual(['7', '8']);
  });

  it('treats a silent connection and a 5xx as drops, and retries them', async () => {
    const { server, client } = await scripted(
      (response) => {
        startEventStream(response);
        response.write(sseEvent(delta('a'), 1));
      },
      (response) => sendJson(response, 503, { error: { code: 'internal', message: 'starting' } }),
      (response) => {
        startEventStream(response);
        response.end(sseEvent(delta('b'), 2) + sseEvent('[DONE]'));
      },
    );
    const { chunks, reconnects } = await follow(client, { idleTimeoutMs: 300 });
    expect(chunks.map((chunk) => chunk.seq)).toEqual([1, 2]);
    expect(reconnects.map((reconnect) => reconnect.error.message)).toEqual([
      'the event stream was silent for 300 ms',
      'starting',
    ]);
    expect(reconnects.map((reconnect) => reconnect.attempt)).toEqual([1, 2]);
    expect(server.requests).toHaveLength(3);
  });

  it('throws what waiting cannot cure: an unknown task, a malformed chunk, a bad id', async () => {
    const notFound = await scripted((response) =>
      sendJson(response, 404, { error: { code: 'not_found', message: 'task task_1 not found' } }),
    );
    await expect(follow(notFound.client)).rejects.toMatchObject({ code: 'not_found', status: 404 });
    expect(notFound.server.requests).toHaveLength(1);

    for (const bad of [sseEvent('not json', 1), sseEvent({ no: 'type' }, 1), sseEvent(delta('a'), 'x')]) {
      const { client } = await scripted((response) => {
        startEventStream(response);
        response.end(bad);
      });
      await expect(follow(client)).rejects.toMatchObject({ code: 'bad_response', route: 'tasks.stream' });
    }

    const html = await scripted((response) => sendJson(response, 200, { not: 'a stream' }));
    await expect(follow(html.client)).rejects.toThrow(/not an event stream/);
  });

  it('stops at once when its signal aborts, even in the middle of a backoff', async () => {
    const { client } = await scripted();
    const abort = new AbortController();
    const following = follow(client, { signal: abort.signal });
    setTimeout(() => abort.abort(new Error('operator left')), 100);
    await expect(following).rejects.toThrow('operator left');
  });

  it('closes the connection when the caller stops reading', async () => {
    let closed = false;
    const { client } = await scripted((response) => {
      startEventStream(response);
      response.write(sseEvent(delta('a'), 1));
      response.on('close', () => {
        closed = true;
      });
    });
    for await (const chunk of client.followTaskStream('task_1')) {
      expect(chunk.seq).toBe(1);
      break;
    }
    await expect.poll(() => closed).toBe(true);
  });
});
