import { newToken } from '../../core/ids.ts';
import type { ErrorCode } from '../../protocol/index.ts';
import type { SessionsStore, ViberRecord, VibersStore } from '../store/index.ts';
import { bearerToken, hashToken, tokenHashesEqual } from './token-hash.ts';

/** Who is calling. Device pairing (a later issue) adds device ids, roles and scopes here. */
export interface OperatorPrincipal {
  kind: 'operator';
  /** A bearer token (CLI, API) or a board session cookie (browser: same-origin checks apply). */
  via: 'bearer' | 'session';
  /** When the board session ends (`via: 'session'` only). */
  sessionExpiresAt?: string;
}
export interface ViberPrincipal {
  kind: 'viber';
  viber: ViberRecord;
}

export type AuthResult<P> =
  | { ok: true; principal: P }
  | { ok: false; status: 401 | 403; code: ErrorCode; message: string };

/** Credentials a caller presents, transport-neutral (HTTP request or WebSocket upgrade). */
export interface Credentials {
  authorization: string | undefined;
  /** `X-Viber-Id`. */
  viberId?: string | undefined;
  /** The board session cookie's value. */
  sessionToken?: string | undefined;
}

/**
 * The one place that decides who a caller is. Routes and the WebSocket server only call this, so
 * the day-one bearer tokens can give way to device pairing without touching them.
 */
export interface GatewayAuth {
  authenticateOperator(credentials: Credentials): Promise<AuthResult<OperatorPrincipal>>;
  authenticateViber(credentials: Credentials): Promise<AuthResult<ViberPrincipal>>;
  /** A new viber credential: the token (shown once) and what the store keeps. */
  issueViberToken(): { token: string; tokenHash: string };
}

const deny = (status: 401 | 403, message: string): AuthResult<never> => ({
  ok: false,
  status,
  code: status === 401 ? 'unauthorized' : 'forbidden',
  message,
});

/** Bearer tokens: one operator token, one token per viber; only hashes are compared or stored. */
export function createTokenAuth(
  store: Pick<VibersStore, 'findViberByTokenHash'> & Pick<SessionsStore, 'findBoardSession'>,
  operatorToken: string,
): GatewayAuth {
  const operatorHash = hashToken(operatorToken);
  return {
    async authenticateOperator(credentials) {
      const token = bearerToken(credentials.authorization);
      if (!token && credentials.sessionToken) {
        const session = await store.findBoardSession(
          hashToken(credentials.sessionToken),
          new Date().toISOString(),
        );
        if (!session) return deny(401, 'the board session has expired or was signed out: sign in again');
        return {
          ok: true,
          principal: { kind: 'operator', via: 'session', sessionExpiresAt: session.expiresAt },
        };
      }
      if (!token) return deny(401, 'missing Authorization: Bearer <operator token>');
      if (!tokenHashesEqual(hashToken(token), operatorHash)) return deny(401, 'invalid operator token');
      return { ok: true, principal: { kind: 'operator', via: 'bearer' } };
    },
    async authenticateViber(credentials) {
      const token = bearerToken(credentials.authorization);
      if (!token) return deny(401, 'missing Authorization: Bearer <viber token>');
      const claimedId = credentials.viberId?.trim();
      if (!claimedId) return deny(401, 'missing X-Viber-Id header');
      const tokenHash = hashToken(token);
      const viber = await store.findViberByTokenHash(tokenHash);
      if (!viber || !tokenHashesEqual(viber.tokenHash, tokenHash)) return deny(401, 'invalid viber token');
      if (viber.revokedAt) return deny(401, `viber ${viber.id} was revoked`);
      if (viber.id !== claimedId) return deny(403, `token does not belong to viber ${claimedId}`);
      return { ok: true, principal: { kind: 'viber', viber } };
    },
    issueViberToken() {
      const token = newToken('ovv');
      return { token, tokenHash: hashToken(token) };
    },
  };
}
