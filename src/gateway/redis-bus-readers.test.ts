import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useRedisServer } from '../../test/support/redis-server.ts';
import { makeTempDir, removeTempDir } from '../../test/support/temp-dirs.ts';
import { waitFor } from '../../test/support/wait.ts';
import type { TaskEvent } from '../protocol/index.ts';
import { GATEWAY_CROSSING } from './bus/gateway-crossing.ts';
import { publishChanges, taskTopic } from './bus/gateway-topics.ts';
import { RedisTopicBus } from './bus/redis-topic-bus.ts';
import { InProcessTopicBus } from './bus/topic-bus.ts';
import { waitForTask } from './mcp/task-waiter.ts';
import { GatewayMetrics } from './metrics/gateway-metrics.ts';
import { TaskStates } from './metrics/task-states.ts';
import { addViber, aTask } from './store/contract/contract-harness.ts';
import { type GatewayStore, openSqliteStore, type TasksStore } from './store/index.ts';
import { PendingApprovals } from './tasks/pending-approvals.ts';
import { TaskCount } from './tasks/task-count.ts';
import { outboxCommand } from './tasks/task-router.ts';
import { TaskStreamSession } from './tasks/task-stream-session.ts';
import { eventPayload, transitionFor } from './tasks/task-transitions.ts';

// The readers of a task's topic on a gateway that hears of another gateway's rows only as hints
// (`task.events-available`): both "gateways" share one store, whose change feed goes to gateway
// A's bus only, as each gateway's store tells only its own bus.

const log = pino({ level: 'silent' });
const VIBER = 'viber_v';
const TASK = 'task_hinted';
const redis = useRedisServer();

let dir: string;
let store: GatewayStore;
let a: RedisTopicBus;
let b: RedisTopicBus;

beforeEach(async () => {
  dir = makeTempDir('redis-readers');
  a = new RedisTopicBus({ url: redis.server.url, gatewayId: 'gw_a', crossing: GATEWAY_CROSSING, log });
  b = new RedisTopicBus({ url: redis.server.url, gatewayId: 'gw_b', crossing: GATEWAY_CROSSING, log });
  await Promise.all([a.connect(), b.connect()]);
  store = openSqliteStore(join(dir, 'shared.db'), (changes) => publishChanges(a, changes));
  await addViber(store, VIBER);
  const task = aTask(TASK, VIBER, { status: 'running', startedAt: new Date().toISOString() });
  await store.insertTask(task, outboxCommand(VIBER, { type: 'task:submit', taskId: TASK, goal: 'g' }));
});

afterEach(async () => {
  await Promise.all([a.close(), b.close()]);
  await store.close();
  removeTempDir(dir);
});

async function append(...events: TaskEvent[]) {
  const at = new Date().toISOString();
  await store.appendTaskEvents(
    VIBER,
    events.map((event) => ({
      event: { taskId: event.taskId, seq: event.seq, type: event.type, payload: eventPayload(event), at },
      transition: transitionFor(event, at),
    })),
  );
}

const delta = (seq: number): TaskEvent => ({
  type: 'task:stream-chunk',
  taskId: TASK,
  seq,
  chunk: { type: 'text-delta', id: 't', delta: `${seq} ` },
});

/** The store as a reader sees it, counting its log reads. */
function counted(inner: GatewayStore): { store: TasksStore; reads: () => number } {
  let reads = 0;
  const store = Object.create(inner) as TasksStore;
  store.readTaskLog = (...args) => {
    reads += 1;
    return inner.readTaskLog(...args);
  };
  return { store, reads: () => reads };
}

function session(bus: InProcessTopicBus | RedisTopicBus, reader: TasksStore, after = 0) {
  return new TaskStreamSession({
    taskId: TASK,
    after,
    store: reader,
    bus,
    log,
    metrics: new GatewayMetrics(),
    onEnd: () => {},
  });
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
  let text = '';
  const decoder = new TextDecoder();
  for await (const bytes of stream) text += decoder.decode(bytes, { stream: true });
  return text;
}

const ids = (text: string) => [...text.matchAll(/^id: (\d+)$/gm)].map((match) => Number(match[1]));

describe('readers on the other gateway', () => {
  it('streams exactly the stored events from hints alone: 1..N in order, none twice, then [DONE]', async () => {
    const reader = counted(store);
    const hints: number[] = [];
    b.subscribe(taskTopic(TASK), (change) => {
      if (change.type === 'task.events-available') hints.push(change.seq);
    });
    const text = readAll(session(b, reader.store).stream);
    const total = 300;
    for (let seq = 1; seq <= total; seq += 3) {
      await append(delta(seq), delta(seq + 1), delta(seq + 2));
    }
    await append({ type: 'task:completed', taskId: TASK, seq: total + 1, result: { text: 'done' } });
    const streamed = await text;
    expect(ids(streamed)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(streamed.endsWith('data: [DONE]\n\n')).toBe(true);
    // One hint per commit, never one per row.
    expect(hints.length).toBeLessThanOrEqual(total / 3 + 1);
  });

  it('delivers what was stored while Redis was down, once it is back', async () => {
    const text = readAll(session(b, store).stream);
    await append(delta(1), delta(2));
    await waitFor(() => b.health().connected);
    await redis.server.stop();
    await waitFor(() => !b.health().connected && !a.health().connected, { timeoutMs: 10_000 });
    // Stored on A; its hints are lost to B.
    await append(delta(3), delta(4));
    await append({ type: 'task:completed', taskId: TASK, seq: 5, result: { text: 'done' } });
    await redis.server.start();
    const streamed = await text;
    expect(ids(streamed)).toEqual([1, 2, 3, 4]);
    expect(streamed.endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('counts again the tasks another gateway created while Redis was down', async () => {
    const count = await TaskCount.open(store, b);
    const states = await TaskStates.open(store, b);
    const pending = () => new Map(states.entries()).get('pending');
    await waitFor(() => b.health().connected);
    await redis.server.stop();
    await waitFor(() => !b.health().connected && !a.health().connected, { timeoutMs: 10_000 });
    const task = aTask('task_while_down', VIBER);
    await store.insertTask(task, outboxCommand(VIBER, { type: 'task:submit', taskId: task.id, goal: 'g' }));
    expect(count.value).toBe(1);
    await redis.server.start();
    await waitFor(() => count.value === 2 && pending() === 1, { timeoutMs: 15_000 });
    count.close();
    states.close();
  });

  it('reads the log once for a burst of hints', async () => {
    const local = new InProcessTopicBus(log);
    for (let seq = 1; seq <= 100; seq += 10) {
      await append(...Array.from({ length: 10 }, (_, i) => delta(seq + i)));
    }
    const reader = counted(store);
    const streaming = session(local, reader.store, 100);
    const stream = readAll(streaming.stream);
    await waitFor(() => reader.reads() === 1);
    const before = reader.reads();
    await append(...Array.from({ length: 100 }, (_, i) => delta(101 + i)));
    for (let seq = 101; seq <= 200; seq++) {
      local.publish(taskTopic(TASK), { type: 'task.events-available', taskId: TASK, seq });
    }
    await append({ type: 'task:completed', taskId: TASK, seq: 201, result: { text: 'done' } });
    local.publish(taskTopic(TASK), { type: 'task.events-available', taskId: TASK, seq: 201 });
    expect(ids(await stream)).toEqual(Array.from({ length: 100 }, (_, i) => 101 + i));
    // The first hint reads; the 99 during that read ask for one more; the last for one at most.
    expect(reader.reads() - before).toBeLessThanOrEqual(4);
  });

  it("settles an approval claimed here when the agent's response is stored on the other gateway", async () => {
    const approvals = new PendingApprovals(store, b);
    await append({
      type: 'task:stream-chunk',
      taskId: TASK,
      seq: 1,
      chunk: { type: 'tool-approval-request', approvalId: 'ap1', toolCallId: 'c1' },
    });
    await approvals.claim(TASK, 'ap1', true);
    expect(approvals.size).toBe(1);
    await expect(approvals.claim(TASK, 'ap1', false)).rejects.toMatchObject({ code: 'conflict' });
    // Stored at once, before B's Redis subscription is live: the resync on activation reads it.
    await append({
      type: 'task:stream-chunk',
      taskId: TASK,
      seq: 2,
      chunk: { type: 'tool-approval-response', approvalId: 'ap1', approved: true },
    });
    await waitFor(() => approvals.size === 0, { timeoutMs: 5_000, description: 'the claim to settle' });
  });

  it('wakes wait_for_task for an approval asked and an end stored on the other gateway', async () => {
    const approvals = new PendingApprovals(store, b);
    const deps = { store, bus: b, approvals: { waitingApprovals: (id: string) => approvals.waiting(id) } };
    const signal = new AbortController().signal;
    const asking = waitForTask(deps, TASK, { timeoutMs: 10_000, signal });
    await append(delta(1), delta(2));
    await append({
      type: 'task:stream-chunk',
      taskId: TASK,
      seq: 3,
      chunk: { type: 'tool-approval-request', approvalId: 'ap1', toolCallId: 'c1' },
    });
    expect(await asking).toMatchObject({ outcome: 'awaiting-approval', approvals: [{ approvalId: 'ap1' }] });
    await approvals.claim(TASK, 'ap1', true);
    const ending = waitForTask(deps, TASK, { timeoutMs: 10_000, signal });
    await append({ type: 'task:completed', taskId: TASK, seq: 4, result: { text: 'done' } });
    expect(await ending).toMatchObject({ outcome: 'finished', task: { status: 'completed' } });
    // The claim's subscription went with the task's end; the waiter's with its return.
    await waitFor(() => approvals.size === 0, { timeoutMs: 5_000 });
    expect(b.listenerCount(taskTopic(TASK))).toBe(0);
  });
});
