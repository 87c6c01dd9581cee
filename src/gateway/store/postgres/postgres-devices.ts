import type { DeviceStatus } from '../../../protocol/index.ts';
import type { DevicePatch, DeviceRecord, DevicesStore, DeviceTokenRecord } from '../devices-store.ts';
import { pageOf } from '../store-page.ts';
import type { PostgresDatabase, Row, Statements } from './postgres-database.ts';

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

const REVOKE_TOKENS = 'UPDATE device_tokens SET revoked_at = $2 WHERE device_id = $1 AND revoked_at IS NULL';

export function postgresDevices(db: PostgresDatabase): DevicesStore {
  const getDevice = async (on: Statements, id: string): Promise<DeviceRecord | null> => {
    const row = await on.get('SELECT * FROM devices WHERE id = $1', [id]);
    return row ? deviceFromRow(row) : null;
  };
  /** Applies a patch inside the caller's transaction; true when a row changed. */
  const patchDevice = async (tx: Statements, id: string, patch: DevicePatch): Promise<boolean> => {
    const entries = Object.entries(patch).filter(([, value]) => value !== undefined);
    if (entries.length === 0) return false;
    const values: unknown[] = [id];
    const sets = entries.map(([key, value]) => {
      values.push(key === 'scopes' ? JSON.stringify(value) : value);
      return `${COLUMNS[key as keyof DevicePatch]} = $${values.length}`;
    });
    return (await tx.run(`UPDATE devices SET ${sets.join(', ')} WHERE id = $1`, values)) > 0;
  };
  /**
   * Locks the device's row: issuing and revoking its tokens take turns across gateways, so it never
   * holds two live tokens (a concurrent UPDATE of device_tokens would not see the other's new row).
   */
  const lockDevice = (tx: Statements, id: string) =>
    tx.run('SELECT id FROM devices WHERE id = $1 FOR UPDATE', [id]);

  return {
    async insertDevice(device) {
      await db.transaction(async (tx, changes) => {
        await tx.run(
          `INSERT INTO devices (id, key_id, public_key, name, role, scopes, status, viber_id, pairing_code,
             source, created_at, expires_at, decided_at, last_seen_at, token_pending)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
          [
            device.id,
            device.keyId,
            device.publicKey,
            device.name,
            device.role,
            JSON.stringify(device.scopes),
            device.status,
            device.viberId,
            device.pairingCode,
            device.source,
            device.createdAt,
            device.expiresAt,
            device.decidedAt,
            device.lastSeenAt,
            device.tokenPending,
          ],
        );
        changes.push({ type: 'device.changed', deviceId: device.id });
      });
    },
    async getDevice(id) {
      return getDevice(db, id);
    },
    async findDeviceByKeyId(keyId) {
      const row = await db.get('SELECT * FROM devices WHERE key_id = $1', [keyId]);
      return row ? deviceFromRow(row) : null;
    },
    async listDevices() {
      const rows = await db.all(
        `SELECT * FROM devices ORDER BY
           CASE status WHEN 'pending' THEN 0 WHEN 'paired' THEN 1 ELSE 2 END,
           CASE status WHEN 'pending' THEN created_at END DESC,
           CASE status WHEN 'pending' THEN id END DESC, created_at, id`,
      );
      return rows.map(deviceFromRow);
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
        const where = ['status = $1'];
        const values: unknown[] = [status, want - rows.length];
        if (query.after && section === query.after[0]) {
          values.push(query.after[1], query.after[2]);
          where.push(`(created_at, id) ${newestFirst ? '<' : '>'} ($3::text, $4::text)`);
        }
        if (query.role !== undefined) {
          values.push(query.role);
          where.push(`role = $${values.length}`);
        }
        const order = newestFirst ? 'created_at DESC, id DESC' : 'created_at, id';
        const found = await db.all(
          `SELECT * FROM devices WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT $2`,
          values,
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
      return db.transaction(async (tx, changes) => {
        if (await patchDevice(tx, id, patch)) changes.push({ type: 'device.changed', deviceId: id });
        return getDevice(tx, id);
      });
    },
    async deletePendingDevice(id) {
      return db.transaction(async (tx, changes) => {
        if ((await tx.run("DELETE FROM devices WHERE id = $1 AND status = 'pending'", [id])) === 0)
          return false;
        changes.push({ type: 'device.changed', deviceId: id });
        return true;
      });
    },
    async purgeLapsedPairings(now) {
      return db.transaction(async (tx, changes) => {
        const rows = await tx.all(
          "DELETE FROM devices WHERE status = 'pending' AND expires_at <= $1 RETURNING id, created_at",
          [now],
        );
        // In the order a scan of the table gives in the embedded store: oldest request first.
        const ids = rows
          .sort(
            (a, b) =>
              compare(String(a.created_at), String(b.created_at)) || compare(String(a.id), String(b.id)),
          )
          .map((row) => String(row.id));
        for (const id of ids) changes.push({ type: 'device.changed', deviceId: id });
        return ids;
      });
    },
    async issueDeviceToken(token) {
      await db.transaction(async (tx, changes) => {
        await lockDevice(tx, token.deviceId);
        await tx.run(REVOKE_TOKENS, [token.deviceId, token.createdAt]);
        await tx.run('INSERT INTO device_tokens (token_hash, device_id, created_at) VALUES ($1, $2, $3)', [
          token.hash,
          token.deviceId,
          token.createdAt,
        ]);
        await patchDevice(tx, token.deviceId, { tokenPending: false });
        changes.push({ type: 'device.changed', deviceId: token.deviceId });
      });
    },
    async findDeviceToken(hash) {
      const row = await db.get(
        `SELECT t.token_hash, t.device_id AS token_device_id, t.created_at AS token_created_at, t.last_used_at,
           t.revoked_at, d.* FROM device_tokens t JOIN devices d ON d.id = t.device_id WHERE t.token_hash = $1`,
        [hash],
      );
      if (!row) return null;
      const token = tokenFromRow({
        token_hash: row.token_hash,
        device_id: row.token_device_id,
        created_at: row.token_created_at,
        last_used_at: row.last_used_at,
        revoked_at: row.revoked_at,
      });
      return { token, device: deviceFromRow(row) };
    },
    async liveDeviceToken(deviceId) {
      const row = await db.get(
        'SELECT * FROM device_tokens WHERE device_id = $1 AND revoked_at IS NULL ORDER BY created_at DESC LIMIT 1',
        [deviceId],
      );
      return row ? tokenFromRow(row) : null;
    },
    async touchDeviceToken(hash, at) {
      await db.run('UPDATE device_tokens SET last_used_at = $2 WHERE token_hash = $1', [hash, at]);
    },
    async revokeDeviceTokens(deviceId, at, patch) {
      return db.transaction(async (tx, changes) => {
        await lockDevice(tx, deviceId);
        await tx.run(REVOKE_TOKENS, [deviceId, at]);
        await patchDevice(tx, deviceId, patch);
        changes.push({ type: 'device.changed', deviceId });
        return getDevice(tx, deviceId);
      });
    },
  };
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
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
    tokenPending: row.token_pending === true,
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
