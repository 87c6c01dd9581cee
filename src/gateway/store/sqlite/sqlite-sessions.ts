import type { SessionsStore } from '../sessions-store.ts';
import type { SqliteDatabase } from './sqlite-database.ts';

export function sqliteSessions(db: SqliteDatabase): SessionsStore {
  return {
    async insertLoginCode(code) {
      db.run(
        'INSERT INTO login_codes (code_hash, created_at, expires_at) VALUES (:hash, :createdAt, :expiresAt)',
        { ...code },
      );
    },
    async consumeLoginCode(hash, now) {
      return db.transaction(() => {
        const row = db.get('SELECT expires_at FROM login_codes WHERE code_hash = :hash', { hash });
        if (!row) return false;
        db.run('DELETE FROM login_codes WHERE code_hash = :hash', { hash });
        return (row.expires_at as string) > now;
      });
    },
    async insertBoardSession(session) {
      db.run(
        'INSERT INTO board_sessions (token_hash, created_at, expires_at) VALUES (:hash, :createdAt, :expiresAt)',
        { ...session },
      );
    },
    async findBoardSession(hash, now) {
      const row = db.get('SELECT * FROM board_sessions WHERE token_hash = :hash AND expires_at > :now', {
        hash,
        now,
      });
      if (!row) return null;
      return { hash, createdAt: row.created_at as string, expiresAt: row.expires_at as string };
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
