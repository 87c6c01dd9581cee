import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDir } from '../../../test/support/temp-dirs.ts';
import type { TaskEvent } from '../../protocol/index.ts';
import { addViber, aTask } from '../store/contract/contract-harness.ts';
import { type GatewayStore, openSqliteStore, type TaskEventAppend } from '../store/index.ts';
import { outboxCommand } from './task-router.ts';
import { eventPayload, transitionFor } from './task-transitions.ts';

const at = () => new Date().toISOString();

/** What the gateway builds for a daemon's event. */
function append(event: TaskEvent): TaskEventAppend {
  const now = at();
  const { taskId, seq, type } = event;
  return {
    event: { taskId, seq, type, payload: eventPayload(event), at: now },
    transition: transitionFor(event, now),
  };
}

const chunk = (taskId: string, seq: number): TaskEvent => ({
  type: 'task:stream-chunk',
  taskId,
  seq,
  chunk: { type: 'text-delta', id: 't', delta: `${seq}` },
});

describe('the SQLite store: appendTaskEvents (group commit)', () => {
  let dir: string;
  let store: GatewayStore;

  beforeEach(async () => {
    dir = makeTempDir('append');
    store = openSqliteStore(join(dir, 'test.db'));
    for (const viberId of ['viber_a', 'viber_b']) {
      await addViber(store, viberId);
    }
    for (const [taskId, viberId] of [
      ['task_a', 'viber_a'],
      ['task_a2', 'viber_a'],
      ['task_b', 'viber_b'],
    ] as const) {
      await store.insertTask(
        aTask(taskId, viberId),
        outboxCommand(viberId, { type: 'task:submit', taskId, goal: 'g' }),
      );
    }
  });
  afterEach(async () => {
    await store.close();
    removeTempDir(dir);
  });

  it('applies the per-event rules in order inside one batch', async () => {
    const results = await store.appendTaskEvents('viber_a', [
      append({ type: 'task:started', taskId: 'task_a', seq: 1, spaceId: 's' }),
      append(chunk('task_a', 2)),
      append(chunk('task_a', 2)),
      append(chunk('task_a', 5)),
      append(chunk('task_a2', 1)),
      append(chunk('task_a', 3)),
      append({ type: 'task:completed', taskId: 'task_a', seq: 4, result: { text: 'done' } }),
      append({ type: 'task:error', taskId: 'task_a', seq: 5, error: 'late' }),
    ]);
    expect(results.map((result) => [result.outcome, result.lastSeq])).toEqual([
      ['stored', 1],
      ['stored', 2],
      ['duplicate', 2],
      ['gap', 2],
      ['stored', 1],
      ['stored', 3],
      ['stored', 4],
      ['stored', 5],
    ]);
    // Each result shows the task as its own event left it.
    expect(results.map((result) => result.task?.status)).toEqual([
      'running',
      'running',
      'running',
      'running',
      'pending',
      'running',
      'completed',
      'completed',
    ]);
    const task = await store.getTask('task_a');
    expect(task).toMatchObject({ status: 'completed', result: { text: 'done' }, error: null, lastSeq: 5 });
    expect(task?.startedAt).not.toBeNull();
    expect((await store.readTaskLog('task_a', 0, 100)).map((row) => row.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(await store.getTask('task_a2')).toMatchObject({ status: 'pending', lastSeq: 1 });
    // The terminal transition dropped task_a's outbox; task_a2 keeps its submit.
    expect((await store.listCommands('viber_a', 0, 10)).map((command) => command.taskId)).toEqual([
      'task_a2',
    ]);
  });

  it('rejects unknown tasks and tasks of another viber without failing the rest', async () => {
    const results = await store.appendTaskEvents('viber_a', [
      append(chunk('task_missing', 1)),
      append(chunk('task_b', 1)),
      append(chunk('task_a', 1)),
    ]);
    expect(results.map((result) => result.outcome)).toEqual(['not_found', 'forbidden', 'stored']);
    expect(await store.getTask('task_b')).toMatchObject({ lastSeq: 0 });
    expect(await store.getTask('task_a')).toMatchObject({ lastSeq: 1 });
  });

  it('stores nothing of a batch that fails', async () => {
    const failing: TaskEventAppend = {
      ...append(chunk('task_a', 2)),
      transition: () => {
        throw new Error('broken transition');
      },
    };
    await expect(store.appendTaskEvents('viber_a', [append(chunk('task_a', 1)), failing])).rejects.toThrow(
      'broken transition',
    );
    expect(await store.getTask('task_a')).toMatchObject({ lastSeq: 0 });
    expect(await store.readTaskLog('task_a', 0, 10)).toEqual([]);
    expect(await store.appendTaskEvents('viber_a', [])).toEqual([]);
  });
});
