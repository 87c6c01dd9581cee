import { describe, expect, it } from 'vitest';
import type { TaskRecord } from '../tasks-store.ts';
import { aCommand, addTask, addViber, aTask, type OpenStore, tick, useStore } from './contract-harness.ts';

export function tasksContract(open: OpenStore): void {
  describe('tasks', () => {
    const t = useStore(open);

    it('creates a task with its submit queued in the same transaction, or neither', async () => {
      await addViber(t.store, 'viber_a');
      t.clear();
      const task = aTask('task_a', 'viber_a', {
        messages: [{ role: 'user', content: 'earlier' }],
        options: { mode: 'agent-decides', maxSteps: 7 },
      });
      const submit = aCommand('viber_a', 'task_a', 'task:submit');
      await t.store.insertTask(task, submit);
      expect(await t.store.getTask('task_a')).toEqual(task);
      expect(await t.store.getTask('task_missing')).toBeNull();
      expect(await t.store.listCommands('viber_a', 0, 10)).toEqual([{ ...submit, seq: expect.any(Number) }]);
      expect(t.changes()).toEqual([{ type: 'task.created', task }]);
      // A submit that cannot be queued (its commandId is taken) creates no task either.
      t.clear();
      await expect(t.store.insertTask(aTask('task_b', 'viber_a'), submit)).rejects.toThrow();
      expect(await t.store.getTask('task_b')).toBeNull();
      expect(t.changes()).toEqual([]);
    });

    it('lists tasks newest first, by viber, status, environment and up to a limit', async () => {
      for (const id of ['viber_a', 'viber_b']) await addViber(t.store, id);
      await addTask(t.store, 'task_1', 'viber_a', { options: { environmentId: 'environment_e' } });
      await addTask(t.store, 'task_2', 'viber_b', { status: 'running' });
      await addTask(t.store, 'task_3', 'viber_a', {
        status: 'running',
        options: { environmentId: 'environment_e' },
      });
      await addTask(t.store, 'task_4', 'viber_a', { status: 'completed' });
      const ids = (tasks: TaskRecord[]) => tasks.map((task) => task.id);
      expect(ids(await t.store.listTasks({ limit: 10 }))).toEqual(['task_4', 'task_3', 'task_2', 'task_1']);
      expect(ids(await t.store.listTasks({ limit: 2 }))).toEqual(['task_4', 'task_3']);
      expect(ids(await t.store.listTasks({ viberId: 'viber_a', limit: 10 }))).toEqual([
        'task_4',
        'task_3',
        'task_1',
      ]);
      expect(ids(await t.store.listTasks({ status: 'running', limit: 10 }))).toEqual(['task_3', 'task_2']);
      expect(ids(await t.store.listTasks({ environmentId: 'environment_e', limit: 10 }))).toEqual([
        'task_3',
        'task_1',
      ]);
      expect(
        ids(await t.store.listTasks({ environmentId: 'environment_e', status: 'pending', limit: 10 })),
      ).toEqual(['task_1']);
      expect(await t.store.countTasks()).toBe(4);
      expect(await t.store.countTasksByStatus()).toEqual({ pending: 1, running: 2, completed: 1 });
      expect(await t.store.countLiveTasksOfEnvironment('environment_e')).toBe(2);
      expect(await t.store.countLiveTasksOfEnvironment('environment_other')).toBe(0);
    });

    it('answers which tasks each viber runs, oldest first', async () => {
      for (const id of ['viber_a', 'viber_b', 'viber_c']) await addViber(t.store, id);
      await addTask(t.store, 'task_1', 'viber_a', { status: 'running' });
      await addTask(t.store, 'task_2', 'viber_a', { status: 'pending' });
      await addTask(t.store, 'task_3', 'viber_a', { status: 'running' });
      await addTask(t.store, 'task_4', 'viber_b', { status: 'running' });
      await addTask(t.store, 'task_5', 'viber_c', { status: 'error' });
      const live = await t.store.listTasksOfViber('viber_a', ['pending', 'running']);
      expect(live.map((task) => task.id)).toEqual(['task_1', 'task_2', 'task_3']);
      expect((await t.store.listTasksOfViber('viber_a', ['running'])).map((task) => task.id)).toEqual([
        'task_1',
        'task_3',
      ]);
      expect(await t.store.countRunningTasksByViber()).toEqual(
        new Map([
          ['viber_a', 2],
          ['viber_b', 1],
        ]),
      );
      expect((await t.store.listVibersWithRunningTasks()).sort()).toEqual(['viber_a', 'viber_b']);
    });

    it('updates a task as decide says, with its outbox and messages, in one transaction', async () => {
      await addViber(t.store, 'viber_a');
      await addTask(t.store, 'task_a', 'viber_a');
      t.clear();
      let seen: ReadonlySet<string> | undefined;
      const message = {
        id: 'message_1',
        taskId: 'task_a',
        message: 'also this',
        injectionMode: 'collect' as const,
        createdAt: tick(),
        deliveredAt: null,
      };
      const stop = aCommand('viber_a', 'task_a', 'task:stop');
      const result = await t.store.updateTask('task_a', (task, outbox) => {
        seen = outbox.types;
        expect(task.status).toBe('pending');
        return { patch: { status: 'running', startedAt: tick() }, enqueue: stop, message };
      });
      expect([...(seen ?? [])]).toEqual(['task:submit']);
      expect(result?.task).toMatchObject({ status: 'running' });
      expect(result!.task.updatedAt > result!.task.createdAt).toBe(true);
      expect(await t.store.getTask('task_a')).toEqual(result?.task);
      expect((await t.store.listCommands('viber_a', 0, 10)).map((command) => command.type)).toEqual([
        'task:submit',
        'task:stop',
      ]);
      expect(await t.store.listTaskMessages('task_a')).toEqual([message]);
      expect(t.changes()).toEqual([{ type: 'task.changed', task: result?.task, previousStatus: 'pending' }]);
    });

    it('drops commands on request, and tells a change only when the task itself changed', async () => {
      await addViber(t.store, 'viber_a');
      await addTask(t.store, 'task_a', 'viber_a');
      await t.store.updateTask('task_a', () => ({ enqueue: aCommand('viber_a', 'task_a', 'task:stop') }));
      t.clear();
      await t.store.updateTask('task_a', () => ({ dropCommands: 'submit' }));
      expect((await t.store.listCommands('viber_a', 0, 10)).map((command) => command.type)).toEqual([
        'task:stop',
      ]);
      await t.store.updateTask('task_a', () => ({ dropCommands: 'all' }));
      expect(await t.store.listCommands('viber_a', 0, 10)).toEqual([]);
      expect(t.changes()).toEqual([]);
    });

    it('leaves a task alone when decide says null or throws, and knows no unknown task', async () => {
      await addViber(t.store, 'viber_a');
      const task = await addTask(t.store, 'task_a', 'viber_a');
      t.clear();
      expect(await t.store.updateTask('task_a', () => null)).toEqual({ task, update: null });
      await expect(
        t.store.updateTask('task_a', () => {
          throw new Error('refused');
        }),
      ).rejects.toThrow('refused');
      expect(await t.store.getTask('task_a')).toEqual(task);
      expect(await t.store.updateTask('task_missing', () => ({ patch: { status: 'error' } }))).toBeNull();
      expect(t.changes()).toEqual([]);
    });
  });
}
