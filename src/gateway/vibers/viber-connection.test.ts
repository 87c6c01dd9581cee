import pino from 'pino';
import { describe, expect, it } from 'vitest';
import {
  ACK_DELAY_MS,
  type DaemonSocket,
  MAX_TASK_EVENT_BATCH,
  ViberConnection,
} from './viber-connection.ts';

/** The socket end a connection writes to, keeping what it sent. */
class RecordingSocket implements DaemonSocket {
  readyState = 1;
  readonly sent: unknown[] = [];
  send(text: string): void {
    this.sent.push(JSON.parse(text));
  }
  close(): void {
    this.readyState = 3;
  }
  terminate(): void {
    this.readyState = 3;
  }
}

function connection() {
  const socket = new RecordingSocket();
  const commits: number[][] = [];
  const order: string[] = [];
  const viber = new ViberConnection('viber_a', socket, pino({ level: 'silent' }), ['seq', 'command-ack']);
  const commit = async (events: number[]) => {
    commits.push(events);
    order.push(`commit ${events.join(',')}`);
  };
  return { socket, viber, commits, order, enqueue: (event: number) => viber.enqueueTaskEvent(event, commit) };
}

const nextLoopTurn = () => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('ViberConnection: group commit', () => {
  it('commits the events of one turn of the event loop together, in order, across microtasks', async () => {
    const { viber, commits, enqueue } = connection();
    enqueue(1);
    enqueue(2);
    // Frames of another socket read in the same I/O phase arrive after microtasks ran.
    await Promise.resolve();
    enqueue(3);
    expect(commits).toEqual([]);
    await viber.idle();
    expect(commits).toEqual([[1, 2, 3]]);
    enqueue(4);
    await nextLoopTurn();
    await viber.idle();
    expect(commits).toEqual([[1, 2, 3], [4]]);
  });

  it('commits the events before a message that is not a task event before handling it', async () => {
    const { viber, order, enqueue } = connection();
    enqueue(1);
    enqueue(2);
    viber.serialize(async () => {
      order.push('heartbeat');
    });
    enqueue(3);
    await nextLoopTurn();
    await viber.idle();
    expect(order).toEqual(['commit 1,2', 'heartbeat', 'commit 3']);
  });

  it(`cuts a burst into commits of at most ${MAX_TASK_EVENT_BATCH} events`, async () => {
    const { viber, commits, enqueue } = connection();
    for (let event = 1; event <= MAX_TASK_EVENT_BATCH * 2 + 1; event++) enqueue(event);
    await viber.idle();
    expect(commits.map((batch) => batch.length)).toEqual([MAX_TASK_EVENT_BATCH, MAX_TASK_EVENT_BATCH, 1]);
    expect(commits.flat()).toEqual(Array.from({ length: MAX_TASK_EVENT_BATCH * 2 + 1 }, (_, i) => i + 1));
  });
});

describe('ViberConnection: task acks', () => {
  it(`sends one cumulative task:ack per task within ${ACK_DELAY_MS} ms, not one per commit`, async () => {
    const { socket, viber } = connection();
    viber.acknowledge('task_a', 3);
    viber.acknowledge('task_b', 1);
    viber.acknowledge('task_a', 7);
    viber.acknowledge('task_a', 5);
    expect(socket.sent).toEqual([]);
    await sleep(ACK_DELAY_MS + 50);
    expect(socket.sent).toEqual([
      { type: 'task:ack', taskId: 'task_a', seq: 7 },
      { type: 'task:ack', taskId: 'task_b', seq: 1 },
    ]);
    viber.acknowledge('task_a', 8);
    await sleep(ACK_DELAY_MS + 50);
    expect(socket.sent.at(-1)).toEqual({ type: 'task:ack', taskId: 'task_a', seq: 8 });
  });

  it('sends nothing once the socket closed', async () => {
    const { socket, viber } = connection();
    viber.acknowledge('task_a', 1);
    socket.close();
    await sleep(ACK_DELAY_MS + 50);
    expect(socket.sent).toEqual([]);
  });
});
