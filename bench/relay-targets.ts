import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import type { GatewayMessage } from '../src/protocol/index.ts';
import { FakeDaemon } from '../test/support/fake-daemon.ts';
import { REPO_ROOT } from '../test/support/processes.ts';
import { RestClient } from '../test/support/rest-client.ts';
import { makeTempDir } from '../test/support/temp-dirs.ts';
import { type BenchChild, startBenchChild } from './bench-child.ts';
import { SseReader } from './sse-reader.ts';

/**
 * The two relays the stream figures compare, driven the same way: a daemon simulator sending
 * `task:stream-chunk` frames of ~100 B over a WebSocket, and raw SSE readers. The gateway stores
 * every chunk durably before it is sent; the bare relay writes each frame out as it came in.
 */

export interface RelayStream {
  readers: SseReader[];
  /** Sends the chunk numbered `seq` (from 2), stamped with this process's clock. */
  send(seq: number): void;
  end(): Promise<void>;
}

export interface RelayTarget {
  child: BenchChild;
  openStream(readers: number): Promise<RelayStream>;
  close(): void;
}

const FILLER = ' a typical streamed token or two';

export function chunkFrame(taskId: string, seq: number): string {
  return JSON.stringify({
    type: 'task:stream-chunk',
    taskId,
    seq,
    chunk: { type: 'text-delta', id: 'bench', delta: `${performance.now().toFixed(4)}|${FILLER}` },
  });
}

export async function bareRelay(): Promise<RelayTarget> {
  const child = await startBenchChild(join(REPO_ROOT, 'bench/bare-relay.ts'));
  const sender = await openSocket(`${child.url.replace(/^http/, 'ws')}/ws?role=sender`);
  return {
    child,
    async openStream(count) {
      const readers = await Promise.all(
        Array.from({ length: count }, () => SseReader.open(`${child.url}/stream`)),
      );
      return {
        readers,
        send: (seq) => sender.send(chunkFrame('task_bare', seq)),
        async end() {
          for (const reader of readers) reader.close();
        },
      };
    },
    close() {
      sender.terminate();
      child.kill();
    },
  };
}

export async function gatewayRelay(execArgv: string[] = []): Promise<RelayTarget> {
  const token = `ovo_bench_${randomBytes(12).toString('hex')}`;
  const child = await startBenchChild(
    join(REPO_ROOT, 'bench/gateway-child.ts'),
    { OPENVIBER_HOME: makeTempDir('bench-relay'), OPENVIBER_OPERATOR_TOKEN: token },
    execArgv,
  );
  const rest = new RestClient(child.url, token);
  const registered = await rest.registerViber('bench-daemon');
  const daemon = await FakeDaemon.connect(`${child.url.replace(/^http/, 'ws')}/ws`, {
    viberId: registered.id,
    token: registered.token,
    name: 'bench-daemon',
  });
  return {
    child,
    async openStream(count) {
      const task = await rest.createTask({ goal: 'relay benchmark', viberId: registered.id });
      const submit = await daemon.waitFor<Extract<GatewayMessage, { type: 'task:submit' }>>(
        (message) => message.type === 'task:submit' && message.taskId === task.id,
      );
      daemon.send({ type: 'command:ack', commandId: submit.commandId });
      daemon.send({ type: 'task:started', taskId: task.id, seq: 1, spaceId: '' });
      const headers = { Authorization: `Bearer ${token}`, 'Last-Event-ID': '1' };
      const url = `${child.url}/api/tasks/${task.id}/stream`;
      const readers = await Promise.all(Array.from({ length: count }, () => SseReader.open(url, headers)));
      let last = 1;
      return {
        readers,
        send(seq) {
          last = seq;
          daemon.send(chunkFrame(task.id, seq));
        },
        async end() {
          daemon.send({ type: 'task:completed', taskId: task.id, seq: last + 1, result: { text: '' } });
          for (const reader of readers) reader.close();
          // The acks the bench does not read would pile up in the simulator otherwise.
          daemon.received.length = 0;
        },
      };
    },
    close() {
      daemon.socket.terminate();
      child.kill();
    },
  };
}

function openSocket(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { perMessageDeflate: false });
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}
