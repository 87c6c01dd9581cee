import type { IdempotencyStore } from '../idempotency-store.ts';
import type { PostgresDatabase } from './postgres-database.ts';

export function postgresIdempotency(db: PostgresDatabase): IdempotencyStore {
  return {
    async getIdempotency(key) {
      const row = await db.get('SELECT * FROM idempotency_keys WHERE key = $1', [key]);
      if (!row) return null;
      return {
        key: row.key as string,
        requestHash: row.request_hash as string,
        status: Number(row.status),
        body: row.body as string,
        createdAt: row.created_at as string,
      };
    },
    async putIdempotency(record) {
      // The first record of a key wins, whichever gateway wrote it: the unique key decides, not memory.
      await db.run(
        `INSERT INTO idempotency_keys (key, request_hash, status, body, created_at) VALUES ($1, $2, $3, $4, $5)
          ON CONFLICT (key) DO NOTHING`,
        [record.key, record.requestHash, record.status, record.body, record.createdAt],
      );
    },
    async purgeIdempotency(olderThan) {
      return db.run('DELETE FROM idempotency_keys WHERE created_at < $1', [olderThan]);
    },
  };
}
