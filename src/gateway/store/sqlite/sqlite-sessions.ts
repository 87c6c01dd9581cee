import type { LoginCodeRecord, SessionsStore } from '../sessions-store.ts';
import type { SqliteDatabase } from './sqlite-database.ts';

export function sqliteSessions(db: SqliteDatabase): SessionsStore {
  return {
    async insertLoginCode(code) {
      db.run(
        `INSERT INTO login_codes (code_hash, created_at, expires_at, role, scopes)
         VALUES (:hash, :createdAt, :expiresAt, :role, :scopes)`,
        { ...code, scopes: JSON.stringify(code.scopes) },
      );
    },
    async consumeLoginCode(hash, now) {
      return db.transaction(() => {
        const row = db.get('SELECT * FROM login_codes WHERE code_hash = :hash', { hash });
        if (!row) return null;
        db.run('DELETE FROM login_codes WHERE code_hash = :hash', { hash });
        if ((row.expires_at as string) <= now) return null;
        return {
          hash,
          createdAt: row.created_at as string,
          expiresAt: row.expires_at as string,
          role: row.role as LoginCodeRecord['role'],
          scopes: JSON.parse(row.scopes as string) as LoginCodeRecord['scopes'],
        };
      });
    },
    async insertBoardSession(session) {
      db.run(
        `INSERT INTO board_sessions (token_hash, created_at, expires_at, device_id)
         VALUES (:hash, :createdAt, :expiresAt, :deviceId)`,
        { ...session },
      );
    },
    async findBoardSession(hash, now) {
      const row = db.get('SELECT * FROM board_sessions WHERE token_hash = :hash AND expires_at > :now', {
        hash,
        now,
      });
      if (!row) return null;
      return {
        hash,
        createdAt: row.created_at as string,
        expiresAt: row.expires_at as string,
        deviceId: row.device_id as string,
      };
    },
    async deleteBoardSession(hash) {
      db.run('DELETE FROM board_sessions WHERE token_hash = :hash', { hash });
    },
    async purgeBoardSecrets(now) {
      return db.transaction(
        () =>
          db.run('DELETE FROM login_codes WHERE expires_at <= :now', { now }) +
          db.run('DELETE FROM board_sessions WHERE expires_at <= :now', { now }),
      );
    },
  };
}
