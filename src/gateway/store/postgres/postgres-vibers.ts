import type { ViberChanged } from '../store-changes.ts';
import { pageOf } from '../store-page.ts';
import type { VibersStore } from '../vibers-store.ts';
import type { PostgresDatabase } from './postgres-database.ts';
import { NAME_ORDER, nameOrderPage } from './postgres-name-order.ts';
import { viberFromRow } from './postgres-rows.ts';

export function postgresVibers(db: PostgresDatabase): VibersStore {
  /** One UPDATE of a viber, announced when it changed a row. */
  const record = (sql: string, values: unknown[]): Promise<void> =>
    db.transaction(async (tx, changes) => {
      if ((await tx.run(sql, values)) > 0) changes.push(viberChanged(values[0] as string));
    });
  return {
    async insertViber(viber) {
      await db.transaction(async (tx, changes) => {
        await tx.run('INSERT INTO vibers (id, name, created_at) VALUES ($1, $2, $3)', [
          viber.id,
          viber.name,
          viber.createdAt,
        ]);
        changes.push(viberChanged(viber.id));
      });
    },
    async getViber(id) {
      const row = await db.get('SELECT * FROM vibers WHERE id = $1', [id]);
      return row ? viberFromRow(row) : null;
    },
    async listVibers() {
      return (await db.all('SELECT * FROM vibers WHERE revoked_at IS NULL ORDER BY position')).map(
        viberFromRow,
      );
    },
    async viberPage(query) {
      const { where, values } = nameOrderPage(query);
      where.push('revoked_at IS NULL');
      if (query.onlyIds) {
        values.push([...query.onlyIds]);
        where.push(`id = ANY($${values.length}::text[])`);
      }
      if (query.exceptIds && query.exceptIds.length > 0) {
        values.push([...query.exceptIds]);
        where.push(`id <> ALL($${values.length}::text[])`);
      }
      const rows = await db.all(
        `SELECT * FROM vibers WHERE ${where.join(' AND ')} ORDER BY ${NAME_ORDER} LIMIT $1`,
        values,
      );
      return pageOf(
        rows,
        query.limit,
        viberFromRow,
        (row) => [row.name as string, row.id as string] as const,
      );
    },
    async revokeViber(id, at) {
      return db.transaction(async (tx, changes) => {
        if (
          (await tx.run('UPDATE vibers SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL', [
            id,
            at,
          ])) === 0
        )
          return false;
        changes.push({ type: 'viber.revoked', viberId: id });
        return true;
      });
    },
    async recordViberConnected(id, info, at) {
      await record('UPDATE vibers SET info = $2, connected_at = $3 WHERE id = $1', [
        id,
        JSON.stringify(info),
        at,
      ]);
    },
    async recordViberHeartbeat(id, status, at) {
      await record('UPDATE vibers SET status = $2, last_heartbeat_at = $3 WHERE id = $1', [
        id,
        JSON.stringify(status),
        at,
      ]);
    },
    async recordViberConfigState(id, state) {
      await record('UPDATE vibers SET config_state = $2 WHERE id = $1', [id, JSON.stringify(state)]);
    },
  };
}

const viberChanged = (viberId: string): ViberChanged => ({ type: 'viber.changed', viberId });
