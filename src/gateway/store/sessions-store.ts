import type { DeviceRole, OperatorScope } from '../../protocol/index.ts';

/** A board login code or session: only the SHA-256 of its secret is kept. */
export interface BoardSecretRecord {
  hash: string;
  createdAt: string;
  expiresAt: string;
}

/** A one-time code: what it pairs (the board link pairs an operator browser; `viber login --code` a node). */
export interface LoginCodeRecord extends BoardSecretRecord {
  role: DeviceRole;
  scopes: OperatorScope[];
}

/** A browser session is one paired device. */
export interface BoardSessionRecord extends BoardSecretRecord {
  deviceId: string;
}

/** One-time login and pairing codes, and board sessions, kept as hashes with an expiry. */
export interface SessionsStore {
  insertLoginCode(code: LoginCodeRecord): Promise<void>;
  /** Deletes the code; the code when it existed and had not expired at `now` (so it works once). */
  consumeLoginCode(hash: string, now: string): Promise<LoginCodeRecord | null>;
  insertBoardSession(session: BoardSessionRecord): Promise<void>;
  /** The session, when it exists and has not expired at `now`. */
  findBoardSession(hash: string, now: string): Promise<BoardSessionRecord | null>;
  deleteBoardSession(hash: string): Promise<void>;
  /** Deletes expired login codes and sessions; returns how many. */
  purgeBoardSecrets(now: string): Promise<number>;
}
