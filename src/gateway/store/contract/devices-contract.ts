import { describe, expect, it } from 'vitest';
import type { DeviceRecord } from '../devices-store.ts';
import { type OpenStore, useStore } from './contract-harness.ts';

const T1 = '2030-01-01T00:00:00.000Z';
const T2 = '2030-01-01T00:05:00.000Z';
const T3 = '2030-01-01T00:10:00.000Z';

export function pendingDevice(id: string, overrides: Partial<DeviceRecord> = {}): DeviceRecord {
  return {
    id,
    keyId: id,
    publicKey: `key-of-${id}`,
    name: `device ${id}`,
    role: 'node',
    scopes: [],
    status: 'pending',
    viberId: null,
    pairingCode: 'ABCD-1234',
    source: '127.0.0.1',
    createdAt: T1,
    expiresAt: T2,
    decidedAt: null,
    lastSeenAt: null,
    tokenPending: false,
    ...overrides,
  };
}

export function devicesContract(open: OpenStore): void {
  describe('devices', () => {
    const t = useStore(open);

    it('carries over the operator token as a keyless device with every scope', async () => {
      const device = await t.store.getDevice('operator-token');
      expect(device).toMatchObject({ keyId: null, role: 'operator', status: 'paired' });
      expect(device?.scopes).toContain('devices.admin');
      expect(device?.scopes).toHaveLength(9);
    });

    it('stores a pairing request, finds it by key, approves it with a pending token', async () => {
      await t.store.insertDevice(pendingDevice('a'.repeat(64)));
      expect(await t.store.findDeviceByKeyId('a'.repeat(64))).toEqual(pendingDevice('a'.repeat(64)));
      const approved = await t.store.updateDevice('a'.repeat(64), {
        status: 'paired',
        decidedAt: T2,
        expiresAt: null,
        pairingCode: null,
        tokenPending: true,
        viberId: 'viber-1',
      });
      expect(approved).toMatchObject({ status: 'paired', tokenPending: true, viberId: 'viber-1' });
      expect(await t.store.updateDevice('missing', { name: 'x' })).toBeNull();
      expect(t.changes()).toEqual([
        { type: 'device.changed', deviceId: 'a'.repeat(64) },
        { type: 'device.changed', deviceId: 'a'.repeat(64) },
      ]);
    });

    it('lists pending requests first, newest first, then paired, then revoked', async () => {
      await t.store.insertDevice(pendingDevice('p1', { createdAt: T1 }));
      await t.store.insertDevice(pendingDevice('p2', { createdAt: T2, keyId: 'p2' }));
      await t.store.insertDevice(pendingDevice('r1', { status: 'revoked', keyId: 'r1' }));
      const ids = (await t.store.listDevices()).map((device) => device.id);
      expect(ids).toEqual(['p2', 'p1', 'operator-token', 'r1']);
    });

    it('keeps one live token per device: issuing revokes the older one and clears tokenPending', async () => {
      await t.store.insertDevice(pendingDevice('d1', { status: 'paired', tokenPending: true }));
      await t.store.issueDeviceToken({ hash: 'h1', deviceId: 'd1', createdAt: T1 });
      expect((await t.store.getDevice('d1'))?.tokenPending).toBe(false);
      expect(await t.store.findDeviceToken('h1')).toMatchObject({ token: { hash: 'h1', revokedAt: null } });
      await t.store.issueDeviceToken({ hash: 'h2', deviceId: 'd1', createdAt: T2 });
      expect((await t.store.findDeviceToken('h1'))?.token.revokedAt).toBe(T2);
      expect((await t.store.liveDeviceToken('d1'))?.hash).toBe('h2');
      expect(await t.store.findDeviceToken('never-issued')).toBeNull();
      await t.store.touchDeviceToken('h2', T3);
      expect((await t.store.findDeviceToken('h2'))?.token.lastUsedAt).toBe(T3);
    });

    it('revokes every token of a device and patches it in one commit', async () => {
      await t.store.insertDevice(pendingDevice('d2', { status: 'paired' }));
      await t.store.issueDeviceToken({ hash: 'h3', deviceId: 'd2', createdAt: T1 });
      t.clear();
      const revoked = await t.store.revokeDeviceTokens('d2', T2, { status: 'revoked', decidedAt: T2 });
      expect(revoked?.status).toBe('revoked');
      expect((await t.store.findDeviceToken('h3'))?.token.revokedAt).toBe(T2);
      expect(await t.store.liveDeviceToken('d2')).toBeNull();
      expect(t.commits).toEqual([[{ type: 'device.changed', deviceId: 'd2' }]]);
    });

    it('deletes a pending request once; lapsed requests are purged, paired devices never', async () => {
      await t.store.insertDevice(pendingDevice('q1'));
      await t.store.insertDevice(pendingDevice('q2', { keyId: 'q2', expiresAt: T3 }));
      await t.store.insertDevice(pendingDevice('q3', { keyId: 'q3', status: 'paired', expiresAt: null }));
      expect(await t.store.deletePendingDevice('q3')).toBe(false);
      expect(await t.store.purgeLapsedPairings(T2)).toEqual(['q1']);
      expect(await t.store.deletePendingDevice('q2')).toBe(true);
      expect(await t.store.deletePendingDevice('q2')).toBe(false);
      expect(await t.store.getDevice('q3')).not.toBeNull();
    });
  });
}
