import type { ViberChanged } from '../store-changes.ts';
import { pageOf } from '../store-page.ts';
import type { VibersStore } from '../vibers-store.ts';
import type { Params, SqliteDatabase } from './sqlite-database.ts';
import { nameOrderPage } from './sqlite-name-order.ts';
import { viberFromRow } from './sqlite-rows.ts';

export function sqliteVibers(db: SqliteDatabase): VibersStore {
  /** One UPDATE of a viber, announced when it changed a row. */
  const record = (sql: string, params: Params): void =>
    db.transaction((changes) => {
      if (db.run(sql, params) > 0) changes.push(viberChanged(params.id as string));
    });
  return {
    async insertViber(viber) {
      db.transaction((changes) => {
        db.run(
          // token_hash is no longer read (migration 5): a unique placeholder fills the old column.
          "INSERT INTO vibers (id, name, token_hash, created_at) VALUES (:id, :name, 'retired:' || :id, :createdAt)",
          { id: viber.id, name: viber.name, createdAt: viber.createdAt },
        );
        changes.push(viberChanged(viber.id));
      });
    },
    async getViber(id) {
      const row = db.get('SELECT * FROM vibers WHERE id = :id', { id });
      return row ? viberFromRow(row) : null;
    },
    async listVibers() {
      return db.all('SELECT * FROM vibers WHERE revoked_at IS NULL ORDER BY rowid').map(viberFromRow);
    },
    async viberPage(query) {
      // One statement per combination of conditions, so each is a range on vibers_by_name (a
      // condition that is only sometimes there would hide the range from the planner).
      const { where, params } = nameOrderPage(query);
      where.push('revoked_at IS NULL');
      if (query.onlyIds) {
        where.push('id IN (SELECT value FROM json_each(:onlyIds))');
        params.onlyIds = JSON.stringify(query.onlyIds);
      }
      if (query.exceptIds && query.exceptIds.length > 0) {
        where.push('id NOT IN (SELECT value FROM json_each(:exceptIds))');
        params.exceptIds = JSON.stringify(query.exceptIds);
      }
      const rows = db.all(
        `SELECT * FROM vibers WHERE ${where.join(' AND ')} ORDER BY name COLLATE NOCASE, id LIMIT :limit`,
        params,
      );
      return pageOf(
        rows,
        query.limit,
        viberFromRow,
        (row) => [row.name as string, row.id as string] as const,
      );
    },
    async revokeViber(id, at) {
      return db.transaction((changes) => {
        if (
          db.run('UPDATE vibers SET revoked_at = :at WHERE id = :id AND revoked_at IS NULL', { id, at }) === 0
        )
          return false;
        changes.push({ type: 'viber.revoked', viberId: id });
        return true;
      });
    },
    async recordViberConnected(id, info, at) {
      record('UPDATE vibers SET info = :info, connected_at = :at WHERE id = :id', {
        id,
        at,
        info: JSON.stringify(info),
      });
    },
    async recordViberHeartbeat(id, status, at) {
      record('UPDATE vibers SET status = :status, last_heartbeat_at = :at WHERE id = :id', {
        id,
        at,
        status: JSON.stringify(status),
      });
    },
    async recordViberConfigState(id, state) {
      record('UPDATE vibers SET config_state = :state WHERE id = :id', { id, state: JSON.stringify(state) });
    },
  };
}

const viberChanged = (viberId: string): ViberChanged => ({ type: 'viber.changed', viberId });
