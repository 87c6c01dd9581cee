import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDir } from '../../../test/support/temp-dirs.ts';
import { waitFor } from '../../../test/support/wait.ts';
import type { TaskEvent } from '../../protocol/index.ts';
import { publishChanges, taskTopic } from '../bus/gateway-topics.ts';
import { InProcessTopicBus } from '../bus/topic-bus.ts';
import { addViber } from '../store/contract/contract-harness.ts';
import { type GatewayStore, openSqliteStore } from '../store/index.ts';
import { TaskRouter } from '../tasks/task-router.ts';
import { eventPayload, transitionFor } from '../tasks/task-transitions.ts';
import { ConnectionRegistry } from '../vibers/connection-registry.ts';
import { type TaskWaiterDeps, waitForTask } from './task-waiter.ts';

// wait_for_task's wait, on the real store, change feed and task router: it returns when the task
// ends or asks for an approval, and leaves nothing behind (no subscription, no timer to wait out)
// when its caller goes away.

const log = pino({ level: 'silent' });
const VIBER = 'viber_waiter';

let dir: string;
let store: GatewayStore;
let bus: InProcessTopicBus;
let router: TaskRouter;
let deps: TaskWaiterDeps;
let taskId: string;

beforeEach(async () => {
  dir = makeTempDir('waiter');
  bus = new InProcessTopicBus(log);
  store = openSqliteStore(join(dir, 'waiter.db'), (changes) => publishChanges(bus, changes));
  await addViber(store, VIBER);
  router = new TaskRouter({ store, bus, connections: new ConnectionRegistry(), log });
  deps = { store, bus, approvals: router };
  taskId = (await router.createTask({ goal: 'wait for me', viberId: VIBER })).id;
});

afterEach(async () => {
  await store.close();
  removeTempDir(dir);
});

const forever = () => ({ timeoutMs: 600_000, signal: new AbortController().signal });

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

describe('waitForTask', () => {
  it('returns once the task ends, and unsubscribes', async () => {
    const waiting = waitForTask(deps, taskId, forever());
    await router.stopTask(taskId); // its viber is offline: stopped at once
    expect(await waiting).toMatchObject({ outcome: 'finished', task: { status: 'stopped' }, approvals: [] });
    expect(bus.listenerCount(taskTopic(taskId))).toBe(0);
  });

  it('returns when a tool call asks for an approval, and reports progress before', async () => {
    const seen: number[] = [];
    const waiting = waitForTask(deps, taskId, {
      ...forever(),
      onProgress: async (task) => {
        seen.push(task.lastSeq);
      },
    });
    await waitFor(() => seen.length === 1);
    await append({ type: 'task:started', taskId, seq: 1, spaceId: 's' });
    await waitFor(() => seen.includes(1));
    await append(
      {
        type: 'task:stream-chunk',
        taskId,
        seq: 2,
        chunk: {
          type: 'tool-input-available',
          toolCallId: 'c1',
          toolName: 'shell',
          input: { command: 'ls' },
        },
      },
      {
        type: 'task:stream-chunk',
        taskId,
        seq: 3,
        chunk: { type: 'tool-approval-request', approvalId: 'a1', toolCallId: 'c1' },
      },
    );
    const result = await waiting;
    expect(result).toMatchObject({
      outcome: 'awaiting-approval',
      task: { status: 'running' },
      approvals: [{ approvalId: 'a1', toolCallId: 'c1', toolName: 'shell', input: { command: 'ls' } }],
    });
    expect(seen).toEqual([0, 1]);
  });

  it('gives up when its caller goes away, leaving no subscription', async () => {
    const abort = new AbortController();
    const waiting = waitForTask(deps, taskId, { timeoutMs: 600_000, signal: abort.signal });
    abort.abort();
    expect(await waiting).toMatchObject({ outcome: 'timeout', task: { status: 'pending' } });
    expect(bus.listenerCount(taskTopic(taskId))).toBe(0);
  });

  it('answers timeout when nothing happens, and not_found for a task that does not exist', async () => {
    expect(await waitForTask(deps, taskId, { ...forever(), timeoutMs: 1 })).toMatchObject({
      outcome: 'timeout',
    });
    await expect(waitForTask(deps, 'task_nope', forever())).rejects.toMatchObject({ code: 'not_found' });
    expect(bus.listenerCount(taskTopic('task_nope'))).toBe(0);
  });
});
