import { describe, expect, it } from 'vitest';
import { type OpenStore, useStore } from './contract-harness.ts';

const DAY_1 = '2030-01-01T00:00:00.000Z';
const DAY_2 = '2030-01-02T00:00:00.000Z';
const DAY_3 = '2030-01-03T00:00:00.000Z';

export function sessionsContract(open: OpenStore): void {
  describe('board sign-in', () => {
    const t = useStore(open);

    it('lets a login code work once, before it expires', async () => {
      await t.store.insertLoginCode({ hash: 'code-1', createdAt: DAY_1, expiresAt: DAY_2 });
      await t.store.insertLoginCode({ hash: 'code-2', createdAt: DAY_1, expiresAt: DAY_2 });
      expect(await t.store.consumeLoginCode('code-1', DAY_1)).toBe(true);
      expect(await t.store.consumeLoginCode('code-1', DAY_1)).toBe(false);
      // An expired code does not work, and is gone.
      expect(await t.store.consumeLoginCode('code-2', DAY_3)).toBe(false);
      expect(await t.store.consumeLoginCode('code-2', DAY_1)).toBe(false);
      expect(await t.store.consumeLoginCode('code-missing', DAY_1)).toBe(false);
    });

    it('finds a session until it expires or is deleted', async () => {
      const session = { hash: 'session-1', createdAt: DAY_1, expiresAt: DAY_2 };
      await t.store.insertBoardSession(session);
      expect(await t.store.findBoardSession('session-1', DAY_1)).toEqual(session);
      expect(await t.store.findBoardSession('session-1', DAY_3)).toBeNull();
      await t.store.deleteBoardSession('session-1');
      expect(await t.store.findBoardSession('session-1', DAY_1)).toBeNull();
    });

    it('purges expired codes and sessions, and counts them', async () => {
      await t.store.insertLoginCode({ hash: 'code-old', createdAt: DAY_1, expiresAt: DAY_2 });
      await t.store.insertLoginCode({ hash: 'code-new', createdAt: DAY_1, expiresAt: DAY_3 });
      await t.store.insertBoardSession({ hash: 'session-old', createdAt: DAY_1, expiresAt: DAY_2 });
      await t.store.insertBoardSession({ hash: 'session-new', createdAt: DAY_1, expiresAt: DAY_3 });
      expect(await t.store.purgeBoardSecrets(DAY_2)).toBe(2);
      expect(await t.store.findBoardSession('session-new', DAY_1)).not.toBeNull();
      expect(await t.store.consumeLoginCode('code-new', DAY_1)).toBe(true);
      expect(t.changes()).toEqual([]);
    });
  });
}
