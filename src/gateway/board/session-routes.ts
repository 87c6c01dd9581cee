import type { Context } from 'hono';
import { Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { OpenViberError } from '../../core/errors.ts';
import {
  BOARD_SESSION_COOKIE,
  CreateSessionBodySchema,
  LoginCodeResponseSchema,
  type SessionView,
} from '../../protocol/index.ts';
import type { GatewayAuth } from '../auth/gateway-auth.ts';
import { parseBody, readBody } from '../http/read-body.ts';
import type { GatewayEnv } from '../http/route-context.ts';
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

/**
 * Sign-in and sign-out, reachable without a session (mounted before the operator auth):
 * `POST /api/session` exchanges a one-time code or the operator token for the session cookie,
 * `POST /api/session/logout` ends it.
 */
export function publicSessionRoutes(sessions: BoardSessions): Hono<GatewayEnv> {
  return new Hono<GatewayEnv>()
    .post('/', readBody(MAX_SESSION_BODY_BYTES), async (c) => {
      refuseCrossOrigin(c);
      const issued = await sessions.signIn(parseBody(c, CreateSessionBodySchema));
      setCookie(c, BOARD_SESSION_COOKIE, issued.token, {
        httpOnly: true,
        sameSite: 'Strict',
        secure: isHttps(c),
        path: '/',
        expires: new Date(issued.expiresAt),
      });
      c.header('Cache-Control', 'no-store');
      const body: SessionView = { via: 'session', expiresAt: issued.expiresAt };
      return c.json(body, 201);
    })
    .post('/logout', async (c) => {
      refuseCrossOrigin(c);
      await sessions.signOut(getCookie(c, BOARD_SESSION_COOKIE));
      deleteCookie(c, BOARD_SESSION_COOKIE, { path: '/', secure: isHttps(c) });
      return c.json({ signedOut: true });
    });
}

/** Behind the operator auth: `GET /api/session` (who am I) and `POST /api/login-codes`. */
export function sessionRoutes(sessions: BoardSessions, auth: GatewayAuth): Hono<GatewayEnv> {
  return new Hono<GatewayEnv>()
    .get('/session', async (c) => {
      const result = await auth.authenticateOperator({
        authorization: c.req.header('authorization'),
        sessionToken: getCookie(c, BOARD_SESSION_COOKIE),
      });
      if (!result.ok) throw new OpenViberError(result.code, result.message, result.status);
      const body: SessionView = {
        via: result.principal.via,
        expiresAt: result.principal.sessionExpiresAt ?? null,
      };
      c.header('Cache-Control', 'no-store');
      return c.json(body);
    })
    .post('/login-codes', async (c) => {
      const minted = LoginCodeResponseSchema.parse(await sessions.mintLoginCode());
      c.header('Cache-Control', 'no-store');
      return c.json(minted, 201);
    });
}
