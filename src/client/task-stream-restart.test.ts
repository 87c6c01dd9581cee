import { describe, expect, it } from 'vitest';
import { onCleanup, useE2eCleanup } from '../../test/support/e2e-cleanup.ts';
import { FakeDaemon } from '../../test/support/fake-daemon.ts';
import { restartGateway, spawnGateway } from '../../test/support/viber-stack.ts';
import { waitFor, withTimeout } from '../../test/support/wait.ts';
import type { GatewayMessage } from '../protocol/index.ts';
import type { BoardFeedItem } from './board-events.ts';
import { createGatewayClient } from './gateway-client.ts';
import type { StreamReconnect, TaskStreamChunk } from './task-stream.ts';

// DESIGN.md, reliability rule 3, from the client's side: a gateway process is SIGKILLed while the
// client follows a task's stream; the follower retries with backoff until the gateway is back on
// the same port, resumes with Last-Event-ID, and reads to [DONE] with every chunk exactly once.
// A stand-in daemon speaks the protocol, so the chunks and their seqs are known exactly.

useE2eCleanup();

const BACKOFF = { baseMs: 100, maxMs: 800 };
const delta = (seq: number) => ({ type: 'text-delta', id: 't', delta: `d${seq} ` });

describe('following a task stream across a gateway restart', () => {
  it('reads to [DONE] with every chunk exactly once, and the board feed says refetch', async () => {
    const gateway = await spawnGateway();
    const client = createGatewayClient({ baseUrl: gateway.url, token: gateway.operatorToken });
    const viber = await client.call('vibers.register', { body: { name: 'restart' } });
    const connect = async (wsUrl: string, runningTasks: string[]) => {
      const connected = await FakeDaemon.connect(wsUrl, {
        viberId: viber.id,
        token: viber.token,
        runningTasks,
      });
      onCleanup(() => connected.close());
      return connected;
    };
    let daemon = await connect(gateway.wsUrl, []);
    const task = await client.call('tasks.create', {
      body: { goal: 'survive a restart', viberId: viber.id },
    });
    const submit = await daemon.waitFor<Extract<GatewayMessage, { type: 'task:submit' }>>(
      (message) => message.type === 'task:submit',
    );
    daemon.send({ type: 'command:ack', commandId: submit.commandId });
    daemon.send({ type: 'task:started', taskId: task.id, seq: 1, spaceId: 's' });
    daemon.send({
      type: 'task:stream-chunk',
      taskId: task.id,
      seq: 2,
      chunk: { type: 'text-start', id: 't' },
    });
    for (let seq = 3; seq <= 6; seq += 1) {
      daemon.send({ type: 'task:stream-chunk', taskId: task.id, seq, chunk: delta(seq) });
    }

    const stop = new AbortController();
    onCleanup(() => stop.abort());
    const chunks: TaskStreamChunk[] = [];
    const reconnects: StreamReconnect[] = [];
    const following = (async () => {
      for await (const chunk of client.followTaskStream(task.id, {
        backoff: BACKOFF,
        signal: stop.signal,
        onReconnect: (reconnect) => reconnects.push(reconnect),
      })) {
        chunks.push(chunk);
      }
    })();
    const feed: BoardFeedItem[] = [];
    const feeding = (async () => {
      for await (const item of client.followBoardEvents({ backoff: BACKOFF, signal: stop.signal }))
        feed.push(item);
    })().catch(() => undefined);
    await waitFor(() => chunks.length === 5 && feed.length > 0, { description: 'seqs 2-6 and events.ready' });

    await gateway.process.kill('SIGKILL');
    await daemon.closed;
    // While the gateway is down the follower keeps trying (connection refused), and waits between.
    await waitFor(() => reconnects.length >= 2, { description: 'two failed reconnects' });
    const restarted = await restartGateway(gateway);
    expect(restarted.port).toBe(gateway.port);

    daemon = await connect(restarted.wsUrl, [task.id]);
    for (let seq = 7; seq <= 10; seq += 1) {
      daemon.send({ type: 'task:stream-chunk', taskId: task.id, seq, chunk: delta(seq) });
    }
    daemon.send({
      type: 'task:stream-chunk',
      taskId: task.id,
      seq: 11,
      chunk: { type: 'text-end', id: 't' },
    });
    daemon.send({ type: 'task:completed', taskId: task.id, seq: 12, result: { text: 'done' } });
    await withTimeout(following, 30_000, 'the stream to reach [DONE] after the restart');

    expect(chunks.map((chunk) => chunk.seq)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(chunks.slice(1, -1).map(({ chunk }) => chunk.delta)).toEqual(
      [3, 4, 5, 6, 7, 8, 9, 10].map((seq) => `d${seq} `),
    );
    expect(reconnects.every((reconnect) => reconnect.lastSeq === 6)).toBe(true);
    expect(reconnects.map((reconnect) => reconnect.error.code)).toContain('unreachable');
    // Backoff grew while nothing came through: no tight loop against a dead port.
    expect(reconnects.map((reconnect) => reconnect.attempt)).toEqual(reconnects.map((_, index) => index + 1));

    // The board's feed saw the drop and, once reconnected, was told to refetch.
    await waitFor(() => feed.some((item) => item.kind === 'ready' && item.reconnected), {
      description: 'a second events.ready',
    });
    expect(feed.map((item) => item.kind)).toContain('disconnected');
    stop.abort();
    await feeding;
    expect((await client.call('tasks.get', { params: { id: task.id } })).task.status).toBe('completed');
  });
});
