import { randomBytes } from 'node:crypto';
import { OpenViberError } from '../../core/errors.ts';
import type { CreateSessionBody, LoginCodeResponse } from '../../protocol/index.ts';
import type { GatewayAuth } from '../auth/gateway-auth.ts';
import { hashToken } from '../auth/token-hash.ts';
import type { SessionsStore } from '../store/index.ts';

/** A login code works once, for a short while: long enough to click the link `viber up` printed. */
export const LOGIN_CODE_TTL_MS = 10 * 60_000;
/** A board session lasts a working week; signing out ends it at once. */
export const SESSION_TTL_MS = 7 * 24 * 60 * 60_000;

export interface IssuedSession {
  /** The cookie value; the store keeps only its hash. */
  token: string;
  expiresAt: string;
}

const secret = (prefix: string) => `${prefix}_${randomBytes(32).toString('base64url')}`;

/**
 * Board sign-in: one-time login codes (minted by an operator, e.g. `viber up`) and the browser
 * sessions they, or the operator token typed by hand, are exchanged for. Codes and sessions are
 * 256-bit random secrets stored only as SHA-256 hashes, with an expiry.
 */
export class BoardSessions {
  readonly #store: SessionsStore;
  readonly #auth: GatewayAuth;
  readonly #now: () => number;

  constructor(store: SessionsStore, auth: GatewayAuth, now: () => number = Date.now) {
    this.#store = store;
    this.#auth = auth;
    this.#now = now;
  }

  async mintLoginCode(): Promise<LoginCodeResponse> {
    const now = this.#now();
    await this.#store.purgeBoardSecrets(new Date(now).toISOString());
    const code = secret('ovc');
    const expiresAt = new Date(now + LOGIN_CODE_TTL_MS).toISOString();
    await this.#store.insertLoginCode({
      hash: hashToken(code),
      createdAt: new Date(now).toISOString(),
      expiresAt,
    });
    return { code, path: `/login#code=${code}`, expiresAt };
  }

  /** Exchanges a login code (used up here) or the operator token for a new session. */
  async signIn(body: CreateSessionBody): Promise<IssuedSession> {
    const nowIso = new Date(this.#now()).toISOString();
    if ('code' in body) {
      if (!(await this.#store.consumeLoginCode(hashToken(body.code), nowIso))) {
        throw new OpenViberError(
          'unauthorized',
          'this sign-in link was already used or has expired: run `viber login-link` for a new one, or paste the operator token',
          401,
        );
      }
    } else {
      const result = await this.#auth.authenticateOperator({ authorization: `Bearer ${body.token}` });
      if (!result.ok) throw new OpenViberError('unauthorized', 'that is not the operator token', 401);
    }
    return this.#issue();
  }

  async signOut(token: string | undefined): Promise<void> {
    if (token) await this.#store.deleteBoardSession(hashToken(token));
  }

  async #issue(): Promise<IssuedSession> {
    const now = this.#now();
    const token = secret('ovs');
    const expiresAt = new Date(now + SESSION_TTL_MS).toISOString();
    await this.#store.insertBoardSession({
      hash: hashToken(token),
      createdAt: new Date(now).toISOString(),
      expiresAt,
    });
    return { token, expiresAt };
  }
}
