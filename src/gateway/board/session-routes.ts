import type { Context, Hono, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { OpenViberError } from '../../core/errors.ts';
import { BOARD_SESSION_COOKIE, LoginCodeResponseSchema } from '../../protocol/index.ts';
import type { GatewayAuth } from '../auth/gateway-auth.ts';
import { readBody } from '../http/read-body.ts';
import type { GatewayEnv } from '../http/route-context.ts';
import { routes } from '../http/route-registrar.ts';
import { isSameOrigin } from '../http/same-origin.ts';
import type { BoardSessions } from './board-sessions.ts';

const MAX_SESSION_BODY_BYTES = 4096;

/** Secure only when the browser reached us over https (directly, or through a proxy that says so). */
function isHttps(c: Context): boolean {
  return new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto') === 'https';
}

function refuseCrossOrigin(c: Context): void {
  if (c.req.header('origin') !== undefined && !isSameOrigin(c)) {
    throw new OpenViberError(
      'forbidden',
      'cross-origin sign-in refused: open the board from the gateway',
      403,
    );
  }
}

/** Before the sign-in body is judged: a cross-origin sign-in is refused whatever it sends. */
const sameOriginSignIn: MiddlewareHandler<GatewayEnv> = async (c, next) => {
  refuseCrossOrigin(c);
  await next();
};

/**
 * Sign-in and sign-out, reachable without a session (mounted before the operator auth):
 * `POST /api/session` exchanges a one-time code or the operator token for the session cookie,
 * `POST /api/session/logout` ends it. Sign-in reads its small body itself, under its own limit.
 */
export function publicSessionRoutes(sessions: BoardSessions): Hono<GatewayEnv> {
  return routes()
    .json(
      'session.create',
      async ({ body }, c) => {
        const issued = await sessions.signIn(body);
        setCookie(c, BOARD_SESSION_COOKIE, issued.token, {
          httpOnly: true,
          sameSite: 'Strict',
          secure: isHttps(c),
          path: '/',
          expires: new Date(issued.expiresAt),
        });
        c.header('Cache-Control', 'no-store');
        return { via: 'session' as const, expiresAt: issued.expiresAt };
      },
      { use: [readBody(MAX_SESSION_BODY_BYTES), sameOriginSignIn] },
    )
    .json('session.logout', async (_, c) => {
      refuseCrossOrigin(c);
      await sessions.signOut(getCookie(c, BOARD_SESSION_COOKIE));
      deleteCookie(c, BOARD_SESSION_COOKIE, { path: '/', secure: isHttps(c) });
      return { signedOut: true as const };
    }).app;
}

/** Behind the operator auth: `GET /api/session` (who am I) and `POST /api/login-codes`. */
export function sessionRoutes(sessions: BoardSessions, auth: GatewayAuth): Hono<GatewayEnv> {
  return routes()
    .json('session.get', async (_, c) => {
      const result = await auth.authenticateOperator({
        authorization: c.req.header('authorization'),
        sessionToken: getCookie(c, BOARD_SESSION_COOKIE),
      });
      if (!result.ok) throw new OpenViberError(result.code, result.message, result.status);
      c.header('Cache-Control', 'no-store');
      return { via: result.principal.via, expiresAt: result.principal.sessionExpiresAt ?? null };
    })
    .json('loginCodes.create', async (_, c) => {
      const minted = LoginCodeResponseSchema.parse(await sessions.mintLoginCode());
      c.header('Cache-Control', 'no-store');
      return minted;
    }).app;
}
