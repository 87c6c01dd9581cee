import { describe, expect, it } from 'vitest';
import type { TaskRecord } from '../tasks-store.ts';
import { aCommand, addTask, addViber, type OpenStore, useStore } from './contract-harness.ts';

const ids = (tasks: TaskRecord[]) => tasks.map((task) => task.id);

/** The task tree (docs/delegation.md): parents, roots, depth, one child per delegate call, end notices. */
export function taskTreeContract(open: OpenStore): void {
  describe('task tree', () => {
    const t = useStore(open);

    /** root -> a -> a1, root -> b (finished); other is a second root. */
    const aTree = async () => {
      await addViber(t.store, 'viber_a');
      await addTask(t.store, 'task_root', 'viber_a', { status: 'running' });
      const child = (parent: string, depth: number, requestId: string) => ({
        parentTaskId: parent,
        rootTaskId: 'task_root',
        depth,
        delegateRequestId: requestId,
      });
      await addTask(t.store, 'task_a', 'viber_a', { status: 'running', ...child('task_root', 1, 'call_a') });
      await addTask(t.store, 'task_a1', 'viber_a', { ...child('task_a', 2, 'call_a1') });
      await addTask(t.store, 'task_b', 'viber_a', {
        status: 'completed',
        ...child('task_root', 1, 'call_b'),
      });
      await addTask(t.store, 'task_other', 'viber_a', { status: 'running' });
    };

    it('keeps a child task place in its tree and lists children and live descendants', async () => {
      await aTree();
      const a1 = await t.store.getTask('task_a1');
      expect(a1).toMatchObject({
        parentTaskId: 'task_a',
        rootTaskId: 'task_root',
        depth: 2,
        delegateRequestId: 'call_a1',
        parentNotifiedAt: null,
      });
      expect(await t.store.getTask('task_root')).toMatchObject({
        parentTaskId: null,
        rootTaskId: null,
        depth: 0,
      });
      expect(ids(await t.store.listChildTasks('task_root'))).toEqual(['task_a', 'task_b']);
      expect(ids(await t.store.listChildTasks('task_a1'))).toEqual([]);
      // Finished ones (task_b) are not live; a grandchild is a descendant.
      expect(ids(await t.store.listLiveDescendants('task_root'))).toEqual(['task_a', 'task_a1']);
      expect(ids(await t.store.listLiveDescendants('task_a'))).toEqual(['task_a1']);
      expect(ids(await t.store.listLiveDescendants('task_other'))).toEqual([]);
      expect(await t.store.countTreeChildren('task_root')).toBe(3);
      expect(await t.store.countTreeChildren('task_other')).toBe(0);
    });

    it('finds the child of a delegate call, and refuses a second child for the same call', async () => {
      await aTree();
      expect((await t.store.findDelegatedTask('task_root', 'call_a'))?.id).toBe('task_a');
      expect(await t.store.findDelegatedTask('task_root', 'call_a1')).toBeNull();
      expect(await t.store.findDelegatedTask('task_other', 'call_a')).toBeNull();
      await expect(
        addTask(t.store, 'task_twice', 'viber_a', {
          parentTaskId: 'task_root',
          rootTaskId: 'task_root',
          depth: 1,
          delegateRequestId: 'call_a',
        }),
      ).rejects.toThrow();
      expect(await t.store.getTask('task_twice')).toBeNull();
    });

    it("notices a finished child's end once, queueing its parent's command in the same transaction", async () => {
      await aTree();
      expect(ids(await t.store.listUnnoticedChildEnds(10))).toEqual(['task_b']);
      // Not finished: nothing is done.
      expect(await t.store.noticeChildEnd('task_a', () => aCommand('viber_a', 'task_root', 'x'))).toBeNull();
      const command = aCommand('viber_a', 'task_root', 'task:child-ended');
      const seen: Array<[string, string | undefined]> = [];
      const noticed = await t.store.noticeChildEnd('task_b', (child, parent) => {
        seen.push([child.id, parent?.id]);
        return command;
      });
      expect(seen).toEqual([['task_b', 'task_root']]);
      expect(noticed?.command).toEqual(command);
      expect(noticed?.child.parentNotifiedAt).toEqual(expect.any(String));
      expect((await t.store.getTask('task_b'))?.parentNotifiedAt).toBe(noticed?.child.parentNotifiedAt);
      const queued = await t.store.listCommands('viber_a', 0, 100);
      expect(queued.filter((row) => row.commandId === command.commandId)).toHaveLength(1);
      // Once only.
      expect(await t.store.noticeChildEnd('task_b', () => aCommand('viber_a', 'task_root', 'x'))).toBeNull();
      expect(await t.store.listUnnoticedChildEnds(10)).toEqual([]);
      // A notice whose decide throws marks nothing.
      await t.store.updateTask('task_a', () => ({ patch: { status: 'error', error: 'boom' } }));
      await expect(
        t.store.noticeChildEnd('task_a', () => {
          throw new Error('no');
        }),
      ).rejects.toThrow('no');
      expect(ids(await t.store.listUnnoticedChildEnds(10))).toEqual(['task_a']);
      // A parent that ended gets nothing queued, and the end is still marked noticed.
      expect((await t.store.noticeChildEnd('task_a', () => null))?.command).toBeNull();
      expect(await t.store.listUnnoticedChildEnds(10)).toEqual([]);
    });
  });
}
