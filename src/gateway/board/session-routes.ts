import type { Context, Hono, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { OpenViberError } from '../../core/errors.ts';
import { BOARD_SESSION_COOKIE, LoginCodeResponseSchema, type SessionView } from '../../protocol/index.ts';
import { principalOf } from '../auth/devices.ts';
import type { Principal } from '../auth/principal.ts';
import { readBody } from '../http/read-body.ts';
import { requestSource } from '../http/request-auth.ts';
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
        const issued = await sessions.signIn(body, requestSource(c));
        setCookie(c, BOARD_SESSION_COOKIE, issued.token, {
          httpOnly: true,
          sameSite: 'Strict',
          secure: isHttps(c),
          path: '/',
          expires: new Date(issued.expiresAt),
        });
        c.header('Cache-Control', 'no-store');
        return sessionView(principalOf(issued.device, 'session'), issued.expiresAt);
      },
      { use: [readBody(MAX_SESSION_BODY_BYTES), sameOriginSignIn] },
    )
    .json(
      'session.challenge',
      (_, c) => {
        c.header('Cache-Control', 'no-store');
        return sessions.challenge();
      },
      { use: [sameOriginSignIn] },
    )
    .json('session.logout', async (_, c) => {
      refuseCrossOrigin(c);
      await sessions.signOut(getCookie(c, BOARD_SESSION_COOKIE));
      deleteCookie(c, BOARD_SESSION_COOKIE, { path: '/', secure: isHttps(c) });
      return { signedOut: true as const };
    }).app;
}

/** Behind the request auth: `GET /api/session` (who am I) and `POST /api/login-codes`. */
export function sessionRoutes(sessions: BoardSessions): Hono<GatewayEnv> {
  return routes()
    .json('session.get', (_, c) => {
      c.header('Cache-Control', 'no-store');
      const principal = signedIn(c);
      return sessionView(principal, principal.sessionExpiresAt ?? null);
    })
    .json('loginCodes.create', async (_, c) => {
      const minted = LoginCodeResponseSchema.parse(await sessions.mintLoginCode([...signedIn(c).scopes]));
      c.header('Cache-Control', 'no-store');
      return minted;
    }).app;
}

function signedIn(c: Context<GatewayEnv>): Principal {
  const principal = c.get('principal');
  if (!principal) throw new OpenViberError('unauthorized', 'sign in first', 401);
  return principal;
}

function sessionView(principal: Principal, expiresAt: string | null): SessionView {
  return {
    via: principal.via === 'session' ? 'session' : 'bearer',
    expiresAt,
    deviceId: principal.deviceId,
    role: principal.role,
    scopes: [...principal.scopes],
  };
}
