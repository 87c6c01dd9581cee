import type { IncomingMessage } from 'node:http';
import {
  BOARD_SESSION_COOKIE,
  REST_ROUTES,
  type RouteAccess,
  type TerminalAccess,
} from '../../protocol/index.ts';
import type { ConnectionSource } from '../auth/devices.ts';
import type { AuthResult, GatewayAuth } from '../auth/gateway-auth.ts';
import { missingScope, type Principal } from '../auth/principal.ts';

const header = (request: IncomingMessage, name: string): string | undefined => {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/**
 * The credentials an upgrade carries, if any: a bearer token (CLI, API) or the board's session
 * cookie. A cookie only counts from the gateway's own origin: a page elsewhere must not ride the
 * operator's session into a shell (cross-site WebSocket hijacking). Undefined when there are none:
 * the connect handshake's token then says who it is.
 */
export async function authenticateTerminalUpgrade(
  auth: GatewayAuth,
  request: IncomingMessage,
  source: ConnectionSource,
): Promise<AuthResult | undefined> {
  const authorization = header(request, 'authorization');
  const sessionToken = readCookie(header(request, 'cookie'), BOARD_SESSION_COOKIE);
  if (!authorization && !sessionToken) return undefined;
  const result = await auth.authenticate({ authorization, sessionToken, source });
  if (result.ok && result.principal.via === 'session' && !sameOrigin(request)) {
    return {
      ok: false,
      status: 403,
      code: 'forbidden',
      message: 'cross-origin terminal connection refused: use the board or a bearer token',
    };
  }
  return result;
}

/**
 * What the connection may do, from its scopes and the route table's entry: watching needs
 * terminals.read; typing, resizing and creating sessions need terminals.write as well, unless
 * the viewer asks for a read-only view (`?access=read`). `missing` names the scope it lacks.
 */
export function terminalAccess(
  principal: Principal,
  requested: string | null,
): { access: TerminalAccess } | { missing: RouteAccess } {
  const query = requested === null ? {} : { access: requested };
  const missing = missingScope(principal, REST_ROUTES['terminals.socket'], { query, body: undefined });
  if (missing) return { missing };
  return { access: requested === 'read' ? 'read' : 'write' };
}

function sameOrigin(request: IncomingMessage): boolean {
  const origin = header(request, 'origin');
  const host = header(request, 'host');
  if (!origin || !host || origin === 'null') return false;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

function readCookie(cookieHeader: string | undefined, name: string): string | undefined {
  if (!cookieHeader) return undefined;
  for (const part of cookieHeader.split(';')) {
    const index = part.indexOf('=');
    if (index === -1 || part.slice(0, index).trim() !== name) continue;
    try {
      return decodeURIComponent(part.slice(index + 1).trim());
    } catch {
      return undefined;
    }
  }
  return undefined;
}
