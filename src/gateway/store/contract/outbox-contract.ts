import { describe, expect, it } from 'vitest';
import { aCommand, addTask, addViber, type OpenStore, tick, useStore } from './contract-harness.ts';

export function outboxContract(open: OpenStore): void {
  describe('the command outbox', () => {
    const t = useStore(open);

    it("lists a viber's outstanding commands in creation order, in pages after a seq", async () => {
      for (const id of ['viber_a', 'viber_b']) await addViber(t.store, id);
      await addTask(t.store, 'task_1', 'viber_a');
      await addTask(t.store, 'task_2', 'viber_b');
      await addTask(t.store, 'task_3', 'viber_a');
      const all = await t.store.listCommands('viber_a', 0, 10);
      expect(all.map((command) => command.taskId)).toEqual(['task_1', 'task_3']);
      expect(all[0]!.seq).toBeLessThan(all[1]!.seq);
      expect(await t.store.listCommands('viber_a', 0, 1)).toEqual([all[0]]);
      expect(await t.store.listCommands('viber_a', all[0]!.seq, 10)).toEqual([all[1]]);
      expect(await t.store.listCommands('viber_missing', 0, 10)).toEqual([]);
      expect(await t.store.countCommands()).toBe(3);
    });

    it("removes a command the viber acknowledged, and only that viber's", async () => {
      for (const id of ['viber_a', 'viber_b']) await addViber(t.store, id);
      await addTask(t.store, 'task_1', 'viber_a');
      const [submit] = await t.store.listCommands('viber_a', 0, 10);
      expect(await t.store.acknowledgeCommand('viber_b', submit!.commandId, tick())).toBeNull();
      expect(await t.store.acknowledgeCommand('viber_a', submit!.commandId, tick())).toEqual(submit);
      expect(await t.store.acknowledgeCommand('viber_a', submit!.commandId, tick())).toBeNull();
      expect(await t.store.listCommands('viber_a', 0, 10)).toEqual([]);
      expect(await t.store.countCommands()).toBe(0);
    });

    it('marks a follow-up message delivered when its command is acknowledged', async () => {
      await addViber(t.store, 'viber_a');
      await addTask(t.store, 'task_1', 'viber_a', { status: 'running' });
      const message = {
        id: 'message_1',
        taskId: 'task_1',
        message: 'and this',
        injectionMode: 'steer' as const,
        createdAt: tick(),
        deliveredAt: null,
      };
      const command = aCommand('viber_a', 'task_1', 'task:message', { messageId: message.id });
      await t.store.updateTask('task_1', () => ({ message, enqueue: command }));
      const at = tick();
      await t.store.acknowledgeCommand('viber_a', command.commandId, at);
      expect(await t.store.listTaskMessages('task_1')).toEqual([{ ...message, deliveredAt: at }]);
    });
  });
}
