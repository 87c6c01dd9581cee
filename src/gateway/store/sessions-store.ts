/** A board login code or session: only the SHA-256 of its secret is kept. */
export interface BoardSecretRecord {
  hash: string;
  createdAt: string;
  expiresAt: string;
}

/** Board sign-in: one-time login codes and browser sessions, both kept as hashes with an expiry. */
export interface SessionsStore {
  insertLoginCode(code: BoardSecretRecord): Promise<void>;
  /** Deletes the code; true when it existed and had not expired at `now` (so it works once). */
  consumeLoginCode(hash: string, now: string): Promise<boolean>;
  insertBoardSession(session: BoardSecretRecord): Promise<void>;
  /** The session, when it exists and has not expired at `now`. */
  findBoardSession(hash: string, now: string): Promise<BoardSecretRecord | null>;
  deleteBoardSession(hash: string): Promise<void>;
  /** Deletes expired login codes and sessions; returns how many. */
  purgeBoardSecrets(now: string): Promise<number>;
}
