import type { DeviceStatus } from '../../../protocol/index.ts';
import type { DevicePatch, DeviceRecord, DevicesStore, DeviceTokenRecord } from '../devices-store.ts';
import { pageOf } from '../store-page.ts';
import type { Params, Row, SqliteDatabase } from './sqlite-database.ts';

/** The sections of the devices' order, by DevicePageKey's section number. */
const DEVICE_SECTIONS: readonly DeviceStatus[] = ['pending', 'paired', 'revoked'];

const COLUMNS: Record<keyof DevicePatch, string> = {
  keyId: 'key_id',
  publicKey: 'public_key',
  name: 'name',
  scopes: 'scopes',
  status: 'status',
  viberId: 'viber_id',
  pairingCode: 'pairing_code',
  expiresAt: 'expires_at',
  decidedAt: 'decided_at',
  lastSeenAt: 'last_seen_at',
  tokenPending: 'token_pending',
};

export function sqliteDevices(db: SqliteDatabase): DevicesStore {
  const getDevice = (id: string): DeviceRecord | null => {
    const row = db.get('SELECT * FROM devices WHERE id = :id', { id });
    return row ? deviceFromRow(row) : null;
  };
  /** Applies a patch inside the caller's transaction; true when a row changed. */
  const patchDevice = (id: string, patch: DevicePatch): boolean => {
    const entries = Object.entries(patch).filter(([, value]) => value !== undefined);
    if (entries.length === 0) return false;
    const params: Params = { id };
    const sets = entries.map(([key, value]) => {
      params[key] = toColumnValue(key as keyof DevicePatch, value);
      return `${COLUMNS[key as keyof DevicePatch]} = :${key}`;
    });
    return db.run(`UPDATE devices SET ${sets.join(', ')} WHERE id = :id`, params) > 0;
  };
  return {
    async insertDevice(device) {
      db.transaction((changes) => {
        db.run(
          `INSERT INTO devices (id, key_id, public_key, name, role, scopes, status, viber_id, pairing_code,
             source, created_at, expires_at, decided_at, last_seen_at, token_pending)
           VALUES (:id, :keyId, :publicKey, :name, :role, :scopes, :status, :viberId, :pairingCode,
             :source, :createdAt, :expiresAt, :decidedAt, :lastSeenAt, :tokenPending)`,
          { ...device, scopes: JSON.stringify(device.scopes), tokenPending: device.tokenPending ? 1 : 0 },
        );
        changes.push({ type: 'device.changed', deviceId: device.id });
      });
    },
    async getDevice(id) {
      return getDevice(id);
    },
    async findDeviceByKeyId(keyId) {
      const row = db.get('SELECT * FROM devices WHERE key_id = :keyId', { keyId });
      return row ? deviceFromRow(row) : null;
    },
    async listDevices() {
      return db
        .all(
          `SELECT * FROM devices ORDER BY
             CASE status WHEN 'pending' THEN 0 WHEN 'paired' THEN 1 ELSE 2 END,
             CASE status WHEN 'pending' THEN created_at END DESC,
             CASE status WHEN 'pending' THEN id END DESC, created_at, id`,
        )
        .map(deviceFromRow);
    },
    async devicePage(query) {
      // Section by section (pending, paired, revoked), each a range on devices_by_status, until
      // the page is full: pending newest first, the others oldest first; ties by id the same way.
      const rows: Row[] = [];
      const want = query.limit + 1;
      for (const [section, status] of DEVICE_SECTIONS.entries()) {
        if (rows.length >= want) break;
        if (query.status !== undefined && query.status !== status) continue;
        if (query.after && section < query.after[0]) continue;
        const newestFirst = status === 'pending';
        const where = ['status = :status'];
        const params: Params = { status, limit: want - rows.length };
        if (query.after && section === query.after[0]) {
          where.push(`(created_at, id) ${newestFirst ? '<' : '>'} (:afterCreatedAt, :afterId)`);
          params.afterCreatedAt = query.after[1];
          params.afterId = query.after[2];
        }
        if (query.role !== undefined) {
          where.push('role = :role');
          params.role = query.role;
        }
        const order = newestFirst ? 'created_at DESC, id DESC' : 'created_at, id';
        const found = db.all(
          `SELECT * FROM devices WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT :limit`,
          params,
        );
        rows.push(...found.map((row) => ({ ...row, page_section: section })));
      }
      return pageOf(
        rows,
        query.limit,
        deviceFromRow,
        (row) => [row.page_section as number, String(row.created_at), String(row.id)] as const,
      );
    },
    async updateDevice(id, patch) {
      return db.transaction((changes) => {
        if (patchDevice(id, patch)) changes.push({ type: 'device.changed', deviceId: id });
        return getDevice(id);
      });
    },
    async deletePendingDevice(id) {
      return db.transaction((changes) => {
        if (db.run("DELETE FROM devices WHERE id = :id AND status = 'pending'", { id }) === 0) return false;
        changes.push({ type: 'device.changed', deviceId: id });
        return true;
      });
    },
    async purgeLapsedPairings(now) {
      return db.transaction((changes) => {
        const ids = db
          .all("SELECT id FROM devices WHERE status = 'pending' AND expires_at <= :now", { now })
          .map((row) => row.id as string);
        for (const id of ids) {
          db.run('DELETE FROM devices WHERE id = :id', { id });
          changes.push({ type: 'device.changed', deviceId: id });
        }
        return ids;
      });
    },
    async issueDeviceToken(token) {
      db.transaction((changes) => {
        db.run(
          'UPDATE device_tokens SET revoked_at = :at WHERE device_id = :deviceId AND revoked_at IS NULL',
          { at: token.createdAt, deviceId: token.deviceId },
        );
        db.run(
          'INSERT INTO device_tokens (token_hash, device_id, created_at) VALUES (:hash, :deviceId, :createdAt)',
          { ...token },
        );
        patchDevice(token.deviceId, { tokenPending: false });
        changes.push({ type: 'device.changed', deviceId: token.deviceId });
      });
    },
    async findDeviceToken(hash) {
      const row = db.get('SELECT * FROM device_tokens WHERE token_hash = :hash', { hash });
      if (!row) return null;
      const device = getDevice(row.device_id as string);
      return device ? { token: tokenFromRow(row), device } : null;
    },
    async liveDeviceToken(deviceId) {
      const row = db.get(
        'SELECT * FROM device_tokens WHERE device_id = :deviceId AND revoked_at IS NULL ORDER BY created_at DESC',
        { deviceId },
      );
      return row ? tokenFromRow(row) : null;
    },
    async touchDeviceToken(hash, at) {
      db.run('UPDATE device_tokens SET last_used_at = :at WHERE token_hash = :hash', { hash, at });
    },
    async revokeDeviceTokens(deviceId, at, patch) {
      return db.transaction((changes) => {
        db.run(
          'UPDATE device_tokens SET revoked_at = :at WHERE device_id = :deviceId AND revoked_at IS NULL',
          {
            at,
            deviceId,
          },
        );
        patchDevice(deviceId, patch);
        changes.push({ type: 'device.changed', deviceId });
        return getDevice(deviceId);
      });
    },
  };
}

function toColumnValue(key: keyof DevicePatch, value: unknown): Params[string] {
  if (key === 'scopes') return JSON.stringify(value);
  if (key === 'tokenPending') return value ? 1 : 0;
  return value as Params[string];
}

const nullable = (value: unknown): string | null => (value == null ? null : String(value));

function deviceFromRow(row: Row): DeviceRecord {
  return {
    id: String(row.id),
    keyId: nullable(row.key_id),
    publicKey: nullable(row.public_key),
    name: String(row.name),
    role: row.role as DeviceRecord['role'],
    scopes: JSON.parse(String(row.scopes)) as DeviceRecord['scopes'],
    status: row.status as DeviceRecord['status'],
    viberId: nullable(row.viber_id),
    pairingCode: nullable(row.pairing_code),
    source: nullable(row.source),
    createdAt: String(row.created_at),
    expiresAt: nullable(row.expires_at),
    decidedAt: nullable(row.decided_at),
    lastSeenAt: nullable(row.last_seen_at),
    tokenPending: Number(row.token_pending) === 1,
  };
}

function tokenFromRow(row: Row): DeviceTokenRecord {
  return {
    hash: String(row.token_hash),
    deviceId: String(row.device_id),
    createdAt: String(row.created_at),
    lastUsedAt: nullable(row.last_used_at),
    revokedAt: nullable(row.revoked_at),
  };
}
