import { describe, expect, it } from 'vitest';
import type { BindingRecord } from '../environments-store.ts';
import {
  aBinding,
  addEnvironment,
  addViber,
  aPrepare,
  type OpenStore,
  tick,
  useStore,
} from './contract-harness.ts';

export function bindingsContract(open: OpenStore): void {
  describe('environment bindings and their logs', () => {
    const t = useStore(open);
    const setUp = async () => {
      for (const id of ['viber_a', 'viber_b']) await addViber(t.store, id);
      await addEnvironment(t.store, 'environment_web', 'web');
      await addEnvironment(t.store, 'environment_api', 'api');
      t.clear();
    };

    it('creates, then changes, the one binding of an environment and a viber, with its command', async () => {
      await setUp();
      const first = aBinding('binding_1', 'environment_web', 'viber_a');
      let seen: BindingRecord | null | undefined;
      const created = await t.store.upsertBinding('environment_web', 'viber_a', (existing) => {
        seen = existing;
        return { binding: first, command: aPrepare(first) };
      });
      expect(seen).toBeNull();
      expect(created).toEqual(first);
      const again = { ...first, generation: 2, updatedAt: tick() };
      await t.store.upsertBinding('environment_web', 'viber_a', (existing) => {
        seen = existing;
        return { binding: again, command: aPrepare(again) };
      });
      expect(seen).toEqual(first);
      expect(await t.store.getBinding('binding_1')).toEqual(again);
      expect((await t.store.getEnvironment('environment_web'))?.bindings).toEqual([again]);
      const commands = await t.store.listCommands('viber_a', 0, 10);
      expect(commands.map((command) => JSON.parse(command.message).generation)).toEqual([1, 2]);
      expect(t.changes()).toEqual([
        { type: 'binding.changed', binding: first },
        { type: 'binding.changed', binding: again },
      ]);
    });

    it('stores no binding whose command cannot be queued', async () => {
      await setUp();
      const first = aBinding('binding_1', 'environment_web', 'viber_a');
      const prepare = aPrepare(first);
      await t.store.upsertBinding('environment_web', 'viber_a', () => ({ binding: first, command: prepare }));
      const other = aBinding('binding_2', 'environment_api', 'viber_a');
      await expect(
        t.store.upsertBinding('environment_api', 'viber_a', () => ({ binding: other, command: prepare })),
      ).rejects.toThrow();
      expect(await t.store.getBinding('binding_2')).toBeNull();
      expect(t.changes()).toEqual([{ type: 'binding.changed', binding: first }]);
    });

    it("lists a viber's bindings oldest first, and updates one only when decide changes it", async () => {
      await setUp();
      const web = aBinding('binding_1', 'environment_web', 'viber_a');
      const api = aBinding('binding_2', 'environment_api', 'viber_a');
      await t.store.upsertBinding('environment_web', 'viber_a', () => ({ binding: web }));
      await t.store.upsertBinding('environment_api', 'viber_a', () => ({ binding: api }));
      expect(await t.store.listBindingsOfViber('viber_a')).toEqual([web, api]);
      expect(await t.store.listBindingsOfViber('viber_b')).toEqual([]);
      t.clear();
      expect(await t.store.updateBinding('binding_1', () => null)).toEqual(web);
      const ready = { ...web, status: 'ready' as const, resolvedWorkingDir: '/w', updatedAt: tick() };
      expect(await t.store.updateBinding('binding_1', () => ({ binding: ready }))).toEqual(ready);
      expect(await t.store.getBinding('binding_1')).toEqual(ready);
      expect(await t.store.updateBinding('binding_missing', () => ({ binding: ready }))).toBeNull();
      expect(t.changes()).toEqual([{ type: 'binding.changed', binding: ready }]);
    });

    it('numbers log lines per binding, keeps the newest, and reads them after a seq', async () => {
      await setUp();
      const line = (text: string) => ({
        bindingId: 'binding_1',
        generation: 1,
        stream: 'stdout' as const,
        line: text,
        at: tick(),
      });
      const appended = [];
      for (const text of ['one', 'two', 'three', 'four'])
        appended.push(await t.store.appendBindingLog(line(text), 3));
      expect(appended.map((record) => record.seq)).toEqual([1, 2, 3, 4]);
      expect(await t.store.readBindingLogs('binding_1', 0, 10)).toEqual(appended.slice(1));
      expect(await t.store.readBindingLogs('binding_1', 2, 1)).toEqual([appended[2]]);
      expect(await t.store.readBindingLogs('binding_other', 0, 10)).toEqual([]);
      expect(t.changes()).toEqual(appended.map((record) => ({ type: 'binding.log-appended', line: record })));
    });
  });
}
