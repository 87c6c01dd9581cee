import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { readSse } from '../src/client/index.ts';
import type { GatewayMessage } from '../src/protocol/index.ts';
import type { FakeDaemon } from '../test/support/fake-daemon.ts';
import type { RestClient } from '../test/support/rest-client.ts';

/**
 * Two ways a task chunk travels, measured the same way: a daemon's `task:stream-chunk` frame through
 * the gateway to an SSE client, and the same frame through a plain WebSocket relay. The frame
 * carries its send time, so sender and receiver (both in this process) share one clock.
 */

export interface ChunkPipe {
  /** Sends the chunk numbered `seq` stamped with the current time. */
  send(seq: number): void;
  /** Called for every chunk received, with its seq and its latency in ms. */
  onReceive(handler: (seq: number, latencyMs: number) => void): void;
  close(): Promise<void>;
}

const FILLER = ' a typical streamed token or two';

export function chunkFrame(taskId: string, seq: number): string {
  const delta = `${performance.now().toFixed(4)}|${FILLER}`;
  return JSON.stringify({
    type: 'task:stream-chunk',
    taskId,
    seq,
    chunk: { type: 'text-delta', id: 'bench', delta },
  });
}

function latencyOf(delta: string): number {
  return performance.now() - Number(delta.slice(0, delta.indexOf('|')));
}

/** sender -> plain relay process -> receiver. */
export async function directPipe(relayUrl: string): Promise<ChunkPipe> {
  const receiver = await open(`${relayUrl}/?role=receiver`);
  const sender = await open(`${relayUrl}/?role=sender`);
  let handler: (seq: number, latencyMs: number) => void = () => {};
  receiver.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as { seq: number; chunk: { delta: string } };
    handler(frame.seq, latencyOf(frame.chunk.delta));
  });
  return {
    send: (seq) => sender.send(chunkFrame('task_direct', seq)),
    onReceive: (next) => {
      handler = next;
    },
    async close() {
      sender.close();
      receiver.close();
    },
  };
}

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

/**
 * daemon (a fake daemon's socket) -> gateway -> SSE client, on a fresh task: the gateway submits it,
 * the daemon acknowledges and starts it, then chunks flow from seq 2.
 */
export async function gatewayPipe(options: {
  daemon: FakeDaemon;
  rest: RestClient;
  viberId: string;
}): Promise<ChunkPipe> {
  const { daemon, rest } = options;
  const task = await rest.createTask({ goal: 'relay benchmark', viberId: options.viberId });
  const submit = await daemon.waitFor<Extract<GatewayMessage, { type: 'task:submit' }>>(
    (message) => message.type === 'task:submit' && message.taskId === task.id,
  );
  daemon.send({ type: 'command:ack', commandId: submit.commandId });
  daemon.send({ type: 'task:started', taskId: task.id, seq: 1, spaceId: '' });

  const abort = new AbortController();
  const response = await rest.client.open('tasks.stream', { params: { id: task.id }, signal: abort.signal });
  let handler: (seq: number, latencyMs: number) => void = () => {};
  const reading = (async () => {
    // The bench ends the stream itself; silence while it measures is no reason to stop reading.
    for await (const event of readSse(response, { route: 'tasks.stream', idleMs: () => 10 * 60_000 })) {
      if (event.data === '[DONE]') continue;
      const chunk = JSON.parse(event.data) as { type: string; delta?: string };
      if (chunk.type === 'text-delta' && chunk.delta?.includes('|'))
        handler(Number(event.id), latencyOf(chunk.delta));
    }
  })().catch(() => {});
  let lastSeq = 1;
  return {
    send(seq) {
      lastSeq = Math.max(lastSeq, seq);
      daemon.send(chunkFrame(task.id, seq));
    },
    onReceive: (next) => {
      handler = next;
    },
    async close() {
      daemon.send({ type: 'task:completed', taskId: task.id, seq: lastSeq + 1, result: { text: '' } });
      const ended = await Promise.race([
        reading.then(() => true),
        new Promise((r) => setTimeout(r, 10_000, false)),
      ]);
      if (!ended) abort.abort();
    },
  };
}
