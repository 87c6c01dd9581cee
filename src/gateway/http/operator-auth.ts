import type { MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { BOARD_SESSION_COOKIE } from '../../protocol/index.ts';
import type { GatewayAuth } from '../auth/gateway-auth.ts';
import { errorResponse } from './http-errors.ts';
import { isSafeMethod, isSameOrigin } from './same-origin.ts';

/**
 * Every /api route needs the operator's credentials (a bearer token, or the board's session
 * cookie); no localhost bypass. A cookie-authenticated request that changes something must come
 * from the gateway's own origin (CSRF).
 */
export function operatorAuth(auth: GatewayAuth): MiddlewareHandler {
  return async function operatorAuthMiddleware(c, next) {
    const result = await auth.authenticateOperator({
      authorization: c.req.header('authorization'),
      sessionToken: getCookie(c, BOARD_SESSION_COOKIE),
    });
    if (!result.ok) {
      c.header('WWW-Authenticate', 'Bearer');
      return errorResponse(c, result.code, result.message, result.status);
    }
    if (result.principal.via === 'session' && !isSafeMethod(c.req.method) && !isSameOrigin(c)) {
      return errorResponse(
        c,
        'forbidden',
        'cross-origin request refused: use the board or a bearer token',
        403,
      );
    }
    await next();
  };
}
