import type { SessionsStore } from '../store/index.ts';
import type { AuthResult, ConnectionSource, DeviceService } from './devices.ts';
import { bearerToken, hashToken } from './token-hash.ts';

export type { AuthResult } from './devices.ts';

/** Credentials a caller presents, transport-neutral (HTTP request or WebSocket upgrade). */
export interface Credentials {
  authorization: string | undefined;
  /** `X-Viber-Id`. */
  viberId?: string | undefined;
  /** The board session cookie's value. */
  sessionToken?: string | undefined;
  source: ConnectionSource;
}

/**
 * The one place that decides who an HTTP caller is: a device token as a bearer (CLI, automation,
 * a daemon's config pull), or the board's session cookie (a paired browser). Sockets prove the
 * device key in the connect handshake instead (ws/connect-handshake.ts); what a caller may then
 * do is the route table's scope, checked where routes are registered.
 */
export interface GatewayAuth {
  authenticate(credentials: Credentials): Promise<AuthResult>;
  /**
   * A node by its token and `X-Viber-Id` (the protocol document's daemon upgrade, section 3): the
   * token must be the node's and the id its viber's.
   */
  authenticateViber(credentials: Credentials): Promise<AuthResult>;
}

const deny = (status: 401 | 403, message: string): AuthResult => ({
  ok: false,
  status,
  code: status === 401 ? 'unauthorized' : 'forbidden',
  message,
});

export function createGatewayAuth(
  store: Pick<SessionsStore, 'findBoardSession'>,
  devices: DeviceService,
): GatewayAuth {
  return {
    async authenticate(credentials) {
      const token = bearerToken(credentials.authorization);
      if (token) return devices.authenticateToken(token, credentials.source);
      if (credentials.sessionToken) {
        const session = await store.findBoardSession(
          hashToken(credentials.sessionToken),
          new Date().toISOString(),
        );
        if (!session) return deny(401, 'the board session has expired or was signed out: sign in again');
        return devices.principalOfSession(session.deviceId, session.expiresAt);
      }
      return deny(401, 'missing Authorization: Bearer <device or operator token>');
    },
    async authenticateViber(credentials) {
      const token = bearerToken(credentials.authorization);
      if (!token) return deny(401, 'missing Authorization: Bearer <viber token>');
      const claimedId = credentials.viberId?.trim();
      if (!claimedId) return deny(401, 'missing X-Viber-Id header');
      const result = await devices.authenticateToken(token, credentials.source);
      if (!result.ok) return result;
      if (result.principal.role !== 'node') return deny(403, "this token is not a viber's");
      if (result.principal.viberId !== claimedId)
        return deny(403, `token does not belong to viber ${claimedId}`);
      return result;
    },
  };
}
