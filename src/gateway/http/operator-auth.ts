import type { MiddlewareHandler } from 'hono';
import type { GatewayAuth } from '../auth/gateway-auth.ts';
import { errorResponse } from './http-errors.ts';

/** Every /api route needs the operator's credentials; no localhost bypass. */
export function operatorAuth(auth: GatewayAuth): MiddlewareHandler {
  return async function operatorAuthMiddleware(c, next) {
    const result = await auth.authenticateOperator({ authorization: c.req.header('authorization') });
    if (!result.ok) {
      c.header('WWW-Authenticate', 'Bearer');
      return errorResponse(c, result.code, result.message, result.status);
    }
    await next();
  };
}
