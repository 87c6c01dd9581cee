import { describe, expect, it } from 'vitest';
import type { ModelSettingsRecord } from '../settings-store.ts';
import { type OpenStore, tick, useStore } from './contract-harness.ts';

const aKey = (provider: 'openai' | 'anthropic' | 'custom', at: string) => ({
  provider,
  encryptedValue: `v1.sealed-${provider}-${at}`,
  kmsKeyId: 'mk_contract',
  createdAt: at,
  updatedAt: at,
});

export function settingsContract(open: OpenStore): void {
  describe('model settings', () => {
    const t = useStore(open);

    it('are empty, version 0, before the first update', async () => {
      expect(await t.store.getModelSettings()).toEqual({
        provider: null,
        model: null,
        baseURL: null,
        mode: null,
        version: 0,
        updatedAt: null,
        keys: [],
      } satisfies ModelSettingsRecord);
    });

    it('apply what decide returns, keys included, in one transaction', async () => {
      const at = tick();
      const saved = await t.store.updateModelSettings((current) => {
        expect(current.version).toBe(0);
        return {
          settings: {
            provider: 'custom',
            model: 'custom/llama',
            baseURL: 'http://127.0.0.1:11434/v1',
            mode: 'always-ask',
            version: current.version + 1,
            updatedAt: at,
          },
          setKeys: [aKey('custom', at), aKey('openai', at)],
        };
      });
      expect(saved).toEqual({
        provider: 'custom',
        model: 'custom/llama',
        baseURL: 'http://127.0.0.1:11434/v1',
        mode: 'always-ask',
        version: 1,
        updatedAt: at,
        keys: [aKey('custom', at), aKey('openai', at)],
      });
      expect(await t.store.getModelSettings()).toEqual(saved);

      // A key replaced keeps its creation time; a key deleted is gone; fields may be cleared.
      const later = tick();
      const next = await t.store.updateModelSettings((current) => ({
        settings: { ...current, baseURL: null, version: current.version + 1, updatedAt: later },
        setKeys: [aKey('custom', later)],
        deleteKeys: ['openai'],
      }));
      expect(next.version).toBe(2);
      expect(next.baseURL).toBeNull();
      expect(next.keys).toEqual([{ ...aKey('custom', later), createdAt: at }]);
    });

    it('change nothing when decide throws', async () => {
      await expect(
        t.store.updateModelSettings(() => {
          throw new Error('refused');
        }),
      ).rejects.toThrow('refused');
      expect((await t.store.getModelSettings()).version).toBe(0);
    });

    it('count their keys among the secrets the master key seals', async () => {
      const at = tick();
      await t.store.updateModelSettings((current) => ({
        settings: { ...current, version: 1, updatedAt: at },
        setKeys: [aKey('anthropic', at)],
      }));
      expect(await t.store.countSecrets()).toBe(1);
    });
  });
}
