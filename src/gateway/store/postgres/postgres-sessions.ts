import type { LoginCodeRecord, SessionsStore } from '../sessions-store.ts';
import type { PostgresDatabase } from './postgres-database.ts';

export function postgresSessions(db: PostgresDatabase): SessionsStore {
  return {
    async insertLoginCode(code) {
      await db.run(
        'INSERT INTO login_codes (code_hash, created_at, expires_at, role, scopes) VALUES ($1, $2, $3, $4, $5)',
        [code.hash, code.createdAt, code.expiresAt, code.role, JSON.stringify(code.scopes)],
      );
    },
    async consumeLoginCode(hash, now) {
      // DELETE ... RETURNING: a code works once even when two gateways are handed it at once.
      const row = await db.get('DELETE FROM login_codes WHERE code_hash = $1 RETURNING *', [hash]);
      if (!row || (row.expires_at as string) <= now) return null;
      return {
        hash,
        createdAt: row.created_at as string,
        expiresAt: row.expires_at as string,
        role: row.role as LoginCodeRecord['role'],
        scopes: JSON.parse(row.scopes as string) as LoginCodeRecord['scopes'],
      };
    },
    async insertBoardSession(session) {
      await db.run(
        'INSERT INTO board_sessions (token_hash, created_at, expires_at, device_id) VALUES ($1, $2, $3, $4)',
        [session.hash, session.createdAt, session.expiresAt, session.deviceId],
      );
    },
    async findBoardSession(hash, now) {
      const row = await db.get('SELECT * FROM board_sessions WHERE token_hash = $1 AND expires_at > $2', [
        hash,
        now,
      ]);
      if (!row) return null;
      return {
        hash,
        createdAt: row.created_at as string,
        expiresAt: row.expires_at as string,
        deviceId: row.device_id as string,
      };
    },
    async deleteBoardSession(hash) {
      await db.run('DELETE FROM board_sessions WHERE token_hash = $1', [hash]);
    },
    async purgeBoardSecrets(now) {
      return db.transaction(
        async (tx) =>
          (await tx.run('DELETE FROM login_codes WHERE expires_at <= $1', [now])) +
          (await tx.run('DELETE FROM board_sessions WHERE expires_at <= $1', [now])),
      );
    },
  };
}
