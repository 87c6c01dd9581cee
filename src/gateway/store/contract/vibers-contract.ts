import { describe, expect, it } from 'vitest';
import type { ConfigState, ViberInfo, ViberStatus } from '../../../protocol/index.ts';
import { addViber, type OpenStore, tick, useStore } from './contract-harness.ts';

const info = (id: string): ViberInfo => ({
  id,
  name: 'laptop',
  version: '1.0.0',
  platform: 'linux',
  capabilities: ['shell'],
  runningTasks: [],
});

export function vibersContract(open: OpenStore): void {
  describe('vibers', () => {
    const t = useStore(open);

    it('keeps a registered viber with nothing reported yet', async () => {
      const createdAt = tick();
      await t.store.insertViber({ id: 'viber_a', name: 'laptop', createdAt });
      const expected = {
        id: 'viber_a',
        name: 'laptop',
        createdAt,
        revokedAt: null,
        info: null,
        status: null,
        configState: null,
        connectedAt: null,
        lastHeartbeatAt: null,
      };
      expect(await t.store.getViber('viber_a')).toEqual(expected);
      expect(await t.store.getViber('viber_missing')).toBeNull();
      expect(t.changes()).toEqual([{ type: 'viber.changed', viberId: 'viber_a' }]);
    });

    it('refuses a second viber with the same id', async () => {
      await addViber(t.store, 'viber_a');
      await expect(addViber(t.store, 'viber_a')).rejects.toThrow();
      expect(t.commits).toHaveLength(1);
    });

    it('lists vibers that are not revoked, oldest first', async () => {
      for (const id of ['viber_c', 'viber_a', 'viber_b']) await addViber(t.store, id);
      expect(await t.store.revokeViber('viber_a', tick())).toBe(true);
      expect((await t.store.listVibers()).map((viber) => viber.id)).toEqual(['viber_c', 'viber_b']);
    });

    it('revokes once; a revoked viber is still found, with when', async () => {
      await addViber(t.store, 'viber_a');
      t.clear();
      const at = tick();
      expect(await t.store.revokeViber('viber_a', at)).toBe(true);
      expect(await t.store.revokeViber('viber_a', tick())).toBe(false);
      expect(await t.store.revokeViber('viber_missing', tick())).toBe(false);
      expect(await t.store.getViber('viber_a')).toMatchObject({ revokedAt: at });
      expect(t.changes()).toEqual([{ type: 'viber.revoked', viberId: 'viber_a' }]);
    });

    it('records what a viber reports: connected, heartbeat, config state', async () => {
      await addViber(t.store, 'viber_a');
      t.clear();
      const connectedAt = tick();
      await t.store.recordViberConnected('viber_a', info('viber_a'), connectedAt);
      const heartbeatAt = tick();
      const status: ViberStatus = { state: 'idle', runningTasks: 0, uptimeSeconds: 12 };
      await t.store.recordViberHeartbeat('viber_a', status, heartbeatAt);
      const configState: ConfigState = { configVersion: 'abc', lastConfigPullAt: tick(), validations: [] };
      await t.store.recordViberConfigState('viber_a', configState);
      expect(await t.store.getViber('viber_a')).toMatchObject({
        info: info('viber_a'),
        connectedAt,
        status,
        lastHeartbeatAt: heartbeatAt,
        configState,
      });
      expect(t.changes()).toEqual([
        { type: 'viber.changed', viberId: 'viber_a' },
        { type: 'viber.changed', viberId: 'viber_a' },
        { type: 'viber.changed', viberId: 'viber_a' },
      ]);
      // A report about no viber changes nothing, and tells nothing.
      t.clear();
      await t.store.recordViberHeartbeat('viber_missing', status, tick());
      expect(t.changes()).toEqual([]);
    });
  });
}
