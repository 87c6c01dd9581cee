import { describe, expect, it } from 'vitest';
import { type OpenStore, useStore } from './contract-harness.ts';

const record = (key: string, createdAt: string, body = '{"id":"x"}') => ({
  key,
  requestHash: `hash of ${key}`,
  status: 201,
  body,
  createdAt,
});

export function idempotencyContract(open: OpenStore): void {
  describe('idempotency keys', () => {
    const t = useStore(open);

    it('keeps the first response of a key, and purges old ones', async () => {
      expect(await t.store.getIdempotency('key-1')).toBeNull();
      const first = record('key-1', '2030-01-01T00:00:00.000Z');
      await t.store.putIdempotency(first);
      await t.store.putIdempotency(record('key-1', '2030-01-01T00:00:01.000Z', '{"id":"second"}'));
      expect(await t.store.getIdempotency('key-1')).toEqual(first);
      await t.store.putIdempotency(record('key-2', '2030-01-02T00:00:00.000Z'));
      expect(await t.store.purgeIdempotency('2030-01-02T00:00:00.000Z')).toBe(1);
      expect(await t.store.getIdempotency('key-1')).toBeNull();
      expect(await t.store.getIdempotency('key-2')).not.toBeNull();
      expect(t.changes()).toEqual([]);
    });
  });
}
