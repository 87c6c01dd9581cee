import type { IncomingMessage } from 'node:http';
import { BOARD_SESSION_COOKIE, type TerminalAccess } from '../../protocol/index.ts';
import type { AuthResult, GatewayAuth, OperatorPrincipal } from '../auth/gateway-auth.ts';

const header = (request: IncomingMessage, name: string): string | undefined => {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/**
 * Who opens the terminal socket: the operator's bearer token (CLI, API) or the board's session
 * cookie, through the gateway's one operator check. A cookie only counts from the gateway's own
 * origin: a page elsewhere must not ride the operator's session into a shell (cross-site WebSocket
 * hijacking).
 */
export async function authenticateTerminalUpgrade(
  auth: GatewayAuth,
  request: IncomingMessage,
): Promise<AuthResult<OperatorPrincipal>> {
  const result = await auth.authenticateOperator({
    authorization: header(request, 'authorization'),
    sessionToken: readCookie(header(request, 'cookie'), BOARD_SESSION_COOKIE),
  });
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
 * What the connection may do. Watching needs an operator; typing, resizing and creating sessions
 * need write access to terminals, which operators hold unless they ask for a read-only view
 * (`?access=read`). Scopes from device pairing will narrow this here, in one place.
 */
export function terminalAccess(_principal: OperatorPrincipal, requested: string | null): TerminalAccess {
  return requested === 'read' ? 'read' : 'write';
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
