import { describe, expect, it } from 'vitest';
import type { TaskPatch } from '../tasks-store.ts';
import { addTask, addViber, anEvent, type OpenStore, tick, useStore } from './contract-harness.ts';

const start = (): TaskPatch => ({ status: 'running', startedAt: tick() });
const complete = (): TaskPatch => ({ status: 'completed', result: { text: 'done' }, endedAt: tick() });

export function taskLogContract(open: OpenStore): void {
  describe('the task stream log', () => {
    const t = useStore(open);
    const setUp = async () => {
      for (const id of ['viber_a', 'viber_b']) await addViber(t.store, id);
      await addTask(t.store, 'task_a', 'viber_a');
      await addTask(t.store, 'task_a2', 'viber_a');
      await addTask(t.store, 'task_b', 'viber_b');
      t.clear();
    };

    it('stores the next seq only, applies transitions in order and drops the outbox on the end', async () => {
      await setUp();
      const results = await t.store.appendTaskEvents('viber_a', [
        anEvent('task_a', 1, 'task:started', start),
        anEvent('task_a', 2),
        anEvent('task_a', 2),
        anEvent('task_a', 5),
        anEvent('task_a2', 1),
        anEvent('task_a', 3, 'task:completed', complete),
        anEvent('task_missing', 1),
        anEvent('task_b', 1),
      ]);
      expect(results.map((result) => [result.outcome, result.lastSeq, result.task?.status ?? null])).toEqual([
        ['stored', 1, 'running'],
        ['stored', 2, 'running'],
        ['duplicate', 2, 'running'],
        ['gap', 2, 'running'],
        ['stored', 1, 'pending'],
        ['stored', 3, 'completed'],
        ['not_found', 0, null],
        ['forbidden', 0, null],
      ]);
      expect(await t.store.getTask('task_a')).toMatchObject({
        status: 'completed',
        result: { text: 'done' },
        lastSeq: 3,
      });
      expect(await t.store.getTask('task_b')).toMatchObject({ lastSeq: 0 });
      // The terminal transition dropped task_a's submit; task_a2 keeps its own.
      expect((await t.store.listCommands('viber_a', 0, 10)).map((command) => command.taskId)).toEqual([
        'task_a2',
      ]);
    });

    it('tells each stored row, and a task change for every row but a stream chunk, after the commit', async () => {
      await setUp();
      const started = anEvent('task_a', 1, 'task:started', start);
      const chunk = anEvent('task_a', 2);
      const progress = anEvent('task_a', 3, 'task:progress');
      const results = await t.store.appendTaskEvents('viber_a', [started, chunk, chunk, progress]);
      expect(t.commits).toHaveLength(1);
      expect(t.changes()).toEqual([
        { type: 'task.event-appended', event: started.event },
        {
          type: 'task.changed',
          task: results[0]!.task,
          previousStatus: 'pending',
          cause: started.event,
        },
        { type: 'task.event-appended', event: chunk.event },
        { type: 'task.event-appended', event: progress.event },
        {
          type: 'task.changed',
          task: results[3]!.task,
          previousStatus: 'running',
          cause: progress.event,
        },
      ]);
    });

    it('stores nothing of a batch that fails, and tells nothing', async () => {
      await setUp();
      const failing = anEvent('task_a', 2, 'task:stream-chunk', () => {
        throw new Error('broken transition');
      });
      await expect(t.store.appendTaskEvents('viber_a', [anEvent('task_a', 1), failing])).rejects.toThrow(
        'broken transition',
      );
      expect(await t.store.getTask('task_a')).toMatchObject({ lastSeq: 0 });
      expect(await t.store.readTaskLog('task_a', 0, 10)).toEqual([]);
      expect(await t.store.appendTaskEvents('viber_a', [])).toEqual([]);
      expect(t.changes()).toEqual([]);
    });

    it('reads the log after a seq in pages, its lifecycle rows, and finds chunks by type', async () => {
      await setUp();
      const appends = [
        anEvent('task_a', 1, 'task:started', start),
        anEvent('task_a', 2),
        anEvent('task_a', 3),
        anEvent('task_a', 4, 'task:completed', complete),
      ];
      await t.store.appendTaskEvents('viber_a', appends);
      const rows = appends.map(({ event }) => ({
        taskId: event.taskId,
        seq: event.seq,
        type: event.type,
        payload: event.payload,
        at: event.at,
      }));
      expect(await t.store.readTaskLog('task_a', 0, 100)).toEqual(rows);
      expect(await t.store.readTaskLog('task_a', 1, 2)).toEqual(rows.slice(1, 3));
      expect(await t.store.readTaskLog('task_a', 4, 100)).toEqual([]);
      expect(await t.store.listLifecycleEvents('task_a')).toEqual([rows[0], rows[3]]);
      expect(await t.store.hasStreamChunkOfType('task_a', 'text-delta')).toBe(true);
      expect(await t.store.hasStreamChunkOfType('task_a', 'error')).toBe(false);
      expect(await t.store.hasStreamChunkOfType('task_a2', 'text-delta')).toBe(false);
    });
  });
}
