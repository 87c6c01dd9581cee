import { describe, expect, it } from 'vitest';
import type { LoginCodeRecord } from '../sessions-store.ts';
import { type OpenStore, useStore } from './contract-harness.ts';

const DAY_1 = '2030-01-01T00:00:00.000Z';
const DAY_2 = '2030-01-02T00:00:00.000Z';
const DAY_3 = '2030-01-03T00:00:00.000Z';
const code = (hash: string, expiresAt: string): LoginCodeRecord => ({
  hash,
  createdAt: DAY_1,
  expiresAt,
  role: 'node',
  scopes: [],
});
const session = (hash: string, expiresAt: string) => ({
  hash,
  createdAt: DAY_1,
  expiresAt,
  deviceId: 'operator-token',
});

export function sessionsContract(open: OpenStore): void {
  describe('board sign-in', () => {
    const t = useStore(open);

    it('lets a login code work once, before it expires', async () => {
      await t.store.insertLoginCode(code('code-1', DAY_2));
      await t.store.insertLoginCode(code('code-2', DAY_2));
      expect(await t.store.consumeLoginCode('code-1', DAY_1)).toEqual({
        ...code('code-1', DAY_2),
        scopes: [],
      });
      expect(await t.store.consumeLoginCode('code-1', DAY_1)).toBeNull();
      // An expired code does not work, and is gone.
      expect(await t.store.consumeLoginCode('code-2', DAY_3)).toBeNull();
      expect(await t.store.consumeLoginCode('code-2', DAY_1)).toBeNull();
      expect(await t.store.consumeLoginCode('code-missing', DAY_1)).toBeNull();
    });

    it('finds a session until it expires or is deleted', async () => {
      await t.store.insertBoardSession(session('session-1', DAY_2));
      expect(await t.store.findBoardSession('session-1', DAY_1)).toEqual(session('session-1', DAY_2));
      expect(await t.store.findBoardSession('session-1', DAY_3)).toBeNull();
      await t.store.deleteBoardSession('session-1');
      expect(await t.store.findBoardSession('session-1', DAY_1)).toBeNull();
    });

    it('purges expired codes and sessions, and counts them', async () => {
      await t.store.insertLoginCode(code('code-old', DAY_2));
      await t.store.insertLoginCode(code('code-new', DAY_3));
      await t.store.insertBoardSession(session('session-old', DAY_2));
      await t.store.insertBoardSession(session('session-new', DAY_3));
      expect(await t.store.purgeBoardSecrets(DAY_2)).toBe(2);
      expect(await t.store.findBoardSession('session-new', DAY_1)).not.toBeNull();
      expect(await t.store.consumeLoginCode('code-new', DAY_1)).not.toBeNull();
      expect(t.changes()).toEqual([]);
    });
  });
}
