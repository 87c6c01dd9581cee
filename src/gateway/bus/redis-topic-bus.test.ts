import { Writable } from 'node:stream';
import pino from 'pino';
import { createClient } from 'redis';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, useRedisServer } from '../../../test/support/redis-server.ts';
import { waitFor } from '../../../test/support/wait.ts';
import type { TaskRecord } from '../store/index.ts';
import { GATEWAY_CROSSING } from './gateway-crossing.ts';
import {
  BOARD_EVENTS,
  CHANGES,
  type GatewayChange,
  type TaskChange,
  taskTopic,
  VIBER_LOCATIONS,
} from './gateway-topics.ts';
import { RedisTopicBus } from './redis-topic-bus.ts';

const redis = useRedisServer();
const buses: RedisTopicBus[] = [];

/** A log whose lines the test reads. */
function recordingLog() {
  const lines: Array<{ level: number; msg: string }> = [];
  const log = pino(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string });
        done();
      },
    }),
  );
  return { log, lines };
}

async function gateway(gatewayId: string, log = pino({ level: 'silent' })): Promise<RedisTopicBus> {
  const bus = new RedisTopicBus({ url: redis.server.url, gatewayId, crossing: GATEWAY_CROSSING, log });
  buses.push(bus);
  await bus.connect();
  return bus;
}

/** Subscribes and waits until the Redis subscription is live (its resync hint arrived). */
async function listen<M>(bus: RedisTopicBus, topic: string): Promise<{ heard: M[]; stop: () => void }> {
  const heard: M[] = [];
  const stop = bus.subscribe<M>(topic, (message) => heard.push(message));
  await waitFor(() => heard.some((message) => (message as { type?: string }).type === 'bus.resynced'), {
    timeoutMs: 5_000,
    description: `the subscription to ${topic}`,
  });
  heard.length = 0;
  return { heard, stop };
}

const viberChanged = (viberId: string): GatewayChange => ({ type: 'viber.changed', viberId });

function appended(taskId: string, seq: number): TaskChange {
  return {
    type: 'task.event-appended',
    event: {
      taskId,
      seq,
      type: 'task:stream-chunk',
      payload: `{"type":"text-delta","delta":"${seq}"}`,
      at: '',
    },
  };
}

afterEach(async () => {
  await Promise.all(buses.splice(0).map((bus) => bus.close()));
  if (!redis.server.running) await redis.server.start();
});

describe('RedisTopicBus', () => {
  it('carries CHANGES to the other gateway exactly once, and never back to the sender', async () => {
    const a = await gateway('gw_a');
    const b = await gateway('gw_b');
    const atA = await listen<GatewayChange>(a, CHANGES);
    const atB = await listen<GatewayChange>(b, CHANGES);
    a.publish(CHANGES, viberChanged('viber_1'));
    // Heard at once, synchronously, in its own process.
    expect(atA.heard).toEqual([viberChanged('viber_1')]);
    await waitFor(() => atB.heard.length === 1, { timeoutMs: 5_000 });
    // B's answer reaches A after any echo of A's own message would have (one Redis, in order).
    b.publish(CHANGES, viberChanged('viber_2'));
    await waitFor(() => atA.heard.length === 2, { timeoutMs: 5_000 });
    expect(atA.heard).toEqual([viberChanged('viber_1'), viberChanged('viber_2')]);
    expect(atB.heard).toEqual([viberChanged('viber_1'), viberChanged('viber_2')]);
  });

  it("sends a task's rows as one hint per turn, only to a gateway that follows the task", async () => {
    const a = await gateway('gw_a');
    const b = await gateway('gw_b');
    const followed = taskTopic('task_followed');
    const changesAtB = await listen<GatewayChange>(b, CHANGES);
    // B follows no task yet: a's rows of task_other do not reach it, nor are they subscribed.
    a.publish(taskTopic('task_other'), appended('task_other', 1));
    expect(b.channelCount).toBe(1);
    const atB = await listen<TaskChange>(b, followed);
    expect(b.channelCount).toBe(2);
    const local: TaskChange[] = [];
    a.subscribe<TaskChange>(followed, (change) => local.push(change));
    for (let seq = 1; seq <= 3; seq++) a.publish(followed, appended('task_followed', seq));
    // Rows locally, each one as it is stored.
    expect(local.map((change) => change.type)).toEqual(Array(3).fill('task.event-appended'));
    await waitFor(() => atB.heard.length > 0, { timeoutMs: 5_000 });
    a.publish(CHANGES, viberChanged('sentinel'));
    await waitFor(() => changesAtB.heard.length === 1, { timeoutMs: 5_000 });
    expect(atB.heard).toEqual([{ type: 'task.events-available', taskId: 'task_followed', seq: 3 }]);
  });

  it('keeps BOARD_EVENTS in each process', async () => {
    const a = await gateway('gw_a');
    const b = await gateway('gw_b');
    const boardAtB: unknown[] = [];
    b.subscribe(BOARD_EVENTS, (event) => boardAtB.push(event));
    const changesAtB = await listen<GatewayChange>(b, CHANGES);
    a.publish(BOARD_EVENTS, { type: 'devices.changed', deviceId: 'dev_1' });
    a.publish(CHANGES, viberChanged('sentinel'));
    await waitFor(() => changesAtB.heard.length === 1, { timeoutMs: 5_000 });
    expect(boardAtB).toEqual([]);
    expect(b.channelCount).toBe(1);
  });

  it('carries the viber routing topics whole, and no resync message in them', async () => {
    const a = await gateway('gw_a');
    const b = await gateway('gw_b');
    const heard: unknown[] = [];
    b.subscribe(VIBER_LOCATIONS, (message) => heard.push(message));
    const here = { type: 'viber.here', viberId: 'viber_1', gatewayId: 'gw_a' } as const;
    // Said again until B's subscription is live, as a gateway says it every heartbeat interval.
    await waitFor(
      () => {
        a.publish(VIBER_LOCATIONS, here);
        return heard.length > 0;
      },
      { timeoutMs: 5_000, intervalMs: 20 },
    );
    expect(heard.every((message) => JSON.stringify(message) === JSON.stringify(here))).toBe(true);
  });

  it('stops remote delivery when the last listener goes', async () => {
    const a = await gateway('gw_a');
    const b = await gateway('gw_b');
    const topic = taskTopic('task_t');
    const first = await listen<TaskChange>(b, topic);
    const changesAtB = await listen<GatewayChange>(b, CHANGES);
    first.stop();
    first.stop();
    expect(b.channelCount).toBe(1);
    a.publish(topic, appended('task_t', 1));
    a.publish(CHANGES, viberChanged('sentinel'));
    await waitFor(() => changesAtB.heard.length === 1, { timeoutMs: 5_000 });
    expect(first.heard).toEqual([]);
  });

  it('keeps local delivery while Redis is down, says why, and resynchronises when it is back', async () => {
    const a = await gateway('gw_a');
    const b = await gateway('gw_b');
    expect(a.health()).toMatchObject({ connected: true, lastError: null });
    const atA = await listen<GatewayChange>(a, CHANGES);
    const atB = await listen<GatewayChange>(b, CHANGES);
    const taskAtB = await listen<TaskChange>(b, taskTopic('task_t'));

    await redis.server.stop();
    await waitFor(() => !a.health().connected && !b.health().connected, { timeoutMs: 10_000 });
    const down = a.health();
    expect(down.lastError).toMatch(/^Redis (publisher|subscriber): /);
    a.publish(CHANGES, viberChanged('while_down'));
    expect(atA.heard).toEqual([viberChanged('while_down')]);
    // The refused publish is counted when its promise settles, which a loaded machine may delay.
    await waitFor(() => a.dropped > 0, { timeoutMs: 10_000, description: 'the publish counted as dropped' });

    await redis.server.start();
    await waitFor(() => a.health().connected && b.health().connected, { timeoutMs: 15_000 });
    expect(Date.parse(a.health().since)).toBeGreaterThanOrEqual(Date.parse(down.since));
    // What B may have missed: it is told to read the store, on every topic it follows.
    await waitFor(() => atB.heard.some((change) => change.type === 'bus.resynced'), { timeoutMs: 5_000 });
    await waitFor(() => taskAtB.heard.some((change) => change.type === 'bus.resynced'), { timeoutMs: 5_000 });
    expect(atB.heard.filter((change) => change.type !== 'bus.resynced')).toEqual([]);
    a.publish(CHANGES, viberChanged('after'));
    await waitFor(() => atB.heard.some((change) => change.type === 'viber.changed'), { timeoutMs: 5_000 });
    expect(atB.heard.filter((change) => change.type === 'viber.changed')).toEqual([viberChanged('after')]);
  });

  it('closes at once while Redis is unreachable, with subscriptions waiting', async () => {
    const port = await freePort();
    const log = pino({ level: 'silent' });
    const bus = new RedisTopicBus({
      url: `redis://127.0.0.1:${port}`,
      gatewayId: 'gw_x',
      crossing: GATEWAY_CROSSING,
      log,
    });
    const connecting = bus.connect();
    const heard: unknown[] = [];
    bus.subscribe(CHANGES, (change) => heard.push(change));
    bus.publish(CHANGES, viberChanged('local'));
    await waitFor(() => bus.health().lastError, { timeoutMs: 5_000 });
    expect(bus.health()).toMatchObject({
      connected: false,
      lastError: expect.stringContaining('ECONNREFUSED'),
    });
    expect(heard).toEqual([viberChanged('local')]);
    await bus.close();
    await expect(connecting).rejects.toThrow();
  });

  it('logs and ignores a message that is not JSON, and delivers the next one', async () => {
    const { log, lines } = recordingLog();
    const b = await gateway('gw_b', log);
    const atB = await listen<GatewayChange>(b, CHANGES);
    const raw = createClient({ url: redis.server.url });
    await raw.connect();
    try {
      await raw.publish('openviber:changes', '{not json');
      await raw.publish('openviber:changes', JSON.stringify({ message: { type: 'viber.changed' } }));
      await raw.publish('openviber:changes', JSON.stringify({ from: 'gw_x', message: viberChanged('good') }));
    } finally {
      await raw.close();
    }
    await waitFor(() => atB.heard.length === 1, { timeoutMs: 5_000 });
    expect(atB.heard).toEqual([viberChanged('good')]);
    expect(b.malformed).toBe(2);
    expect(lines.filter((line) => line.msg.startsWith('ignored a bus message')).length).toBe(2);
  });

  it('carries a task state change in full, without the sender-local arrival time', async () => {
    const a = await gateway('gw_a');
    const b = await gateway('gw_b');
    const atB = await listen<TaskChange>(b, taskTopic('task_t'));
    const task = { id: 'task_t', status: 'running' } as TaskRecord;
    const cause = { taskId: 'task_t', seq: 1, type: 'task:started', payload: '{}', at: '', arrivedAt: 12.5 };
    a.publish(taskTopic('task_t'), { type: 'task.changed', task, previousStatus: 'pending', cause });
    await waitFor(() => atB.heard.length === 1, { timeoutMs: 5_000 });
    const { arrivedAt: _, ...sent } = cause;
    expect(atB.heard).toEqual([{ type: 'task.changed', task, previousStatus: 'pending', cause: sent }]);
  });
});
