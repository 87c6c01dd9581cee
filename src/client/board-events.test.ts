import { describe, expect, it } from 'vitest';
import {
  sendJson,
  sseEvent,
  startEventStream,
  useScriptedGateway,
} from '../../test/support/local-http-server.ts';
import type { BoardFeedItem } from './board-events.ts';
import type { createGatewayClient } from './gateway-client.ts';

// The board-events follower against a scripted server (route-calls.test.ts and
// task-stream-restart.test.ts follow a real gateway's events).

const scripted = useScriptedGateway();

const ready = (heartbeatMs = 15_000) => ({ type: 'events.ready', activities: {}, heartbeatMs });
const revoked = { type: 'viber.revoked', viberId: 'viber_1' };

/** Reads items until `count` arrived, then stops (which closes the connection). */
async function take(client: ReturnType<typeof createGatewayClient>, count: number): Promise<BoardFeedItem[]> {
  const items: BoardFeedItem[] = [];
  for await (const item of client.followBoardEvents({ backoff: { baseMs: 10, maxMs: 20 } })) {
    items.push(item);
    if (items.length === count) break;
  }
  return items;
}

describe('followBoardEvents', () => {
  it('says ready (refetch) on every connection, and disconnected before each retry', async () => {
    const { server, client } = await scripted(
      (response) => {
        startEventStream(response);
        response.end(sseEvent(ready(), 1) + sseEvent(revoked, 2));
      },
      (response) => sendJson(response, 503, '<html>starting</html>'),
      (response) => {
        startEventStream(response);
        response.write(sseEvent(ready(), 1));
      },
    );
    const items = await take(client, 5);
    expect(items.map((item) => item.kind)).toEqual([
      'ready',
      'event',
      'disconnected',
      'disconnected',
      'ready',
    ]);
    expect(items[0]).toMatchObject({ kind: 'ready', reconnected: false, event: ready() });
    expect(items[1]).toEqual({ kind: 'event', event: revoked });
    expect(items[2]).toMatchObject({
      attempt: 1,
      error: { code: 'unreachable', message: 'the board event stream ended' },
    });
    expect(items[3]).toMatchObject({ attempt: 2, error: { code: 'unreachable', status: 503 } });
    expect(items[4]).toMatchObject({ kind: 'ready', reconnected: true });
    expect(server.requests.map((request) => request.url)).toEqual(Array(3).fill('/api/events'));
  });

  it('counts two missed heartbeats as a drop', async () => {
    const { client } = await scripted(
      (response) => {
        startEventStream(response);
        // The announced heartbeat is 100 ms, so 300 ms of silence is a drop; nothing else comes.
        response.write(sseEvent(ready(100), 1));
      },
      (response) => {
        startEventStream(response);
        response.write(sseEvent(ready(), 1));
      },
    );
    const started = Date.now();
    const items = await take(client, 3);
    expect(items.map((item) => item.kind)).toEqual(['ready', 'disconnected', 'ready']);
    expect(items[1]).toMatchObject({ error: { message: 'the event stream was silent for 300 ms' } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });

  it('throws on a refused session and on an event that is not in the protocol', async () => {
    const expired = await scripted((response) =>
      sendJson(response, 401, { error: { code: 'unauthorized', message: 'session expired' } }),
    );
    await expect(take(expired.client, 1)).rejects.toMatchObject({ code: 'unauthorized', status: 401 });

    const odd = await scripted((response) => {
      startEventStream(response);
      response.end(sseEvent(ready(), 1) + sseEvent({ type: 'task.exploded' }, 2));
    });
    await expect(take(odd.client, 3)).rejects.toMatchObject({ code: 'bad_response', route: 'events.stream' });
  });
});
