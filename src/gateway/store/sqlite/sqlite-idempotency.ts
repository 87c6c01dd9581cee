import type { IdempotencyStore } from '../idempotency-store.ts';
import type { SqliteDatabase } from './sqlite-database.ts';

export function sqliteIdempotency(db: SqliteDatabase): IdempotencyStore {
  return {
    async getIdempotency(key) {
      const row = db.get('SELECT * FROM idempotency_keys WHERE key = :key', { key });
      if (!row) return null;
      return {
        key: row.key as string,
        requestHash: row.request_hash as string,
        status: row.status as number,
        body: row.body as string,
        createdAt: row.created_at as string,
      };
    },
    async putIdempotency(record) {
      db.run(
        `INSERT OR IGNORE INTO idempotency_keys (key, request_hash, status, body, created_at)
          VALUES (:key, :requestHash, :status, :body, :createdAt)`,
        { ...record },
      );
    },
    async purgeIdempotency(olderThan) {
      return db.run('DELETE FROM idempotency_keys WHERE created_at < :olderThan', { olderThan });
    },
  };
}
