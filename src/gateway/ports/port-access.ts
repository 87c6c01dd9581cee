import { PORT_PROXY_PREFIX } from '../../protocol/index.ts';
import type { GatewayStore } from '../store/index.ts';
import type { PortLinks } from './port-links.ts';

/** A proxied request's target, read from its path: `/ports/<viberId>/<port>/<token>/<rest>`. */
export interface PortTargetPath {
  viberId: string;
  portText: string;
  token: string;
  /** The service's path and query, from `/`; undefined when the path stops at the token (no slash). */
  servicePath: string | undefined;
  /** `/ports/<viberId>/<port>/`: where the service's cookies are kept. */
  cookiePath: string;
}

/** Parses a request target (path and query, as sent); undefined when it is not under /ports/. */
export function parsePortTarget(target: string): PortTargetPath | undefined {
  const queryAt = target.indexOf('?');
  const pathname = queryAt === -1 ? target : target.slice(0, queryAt);
  const query = queryAt === -1 ? '' : target.slice(queryAt);
  if (!pathname.startsWith(`${PORT_PROXY_PREFIX}/`)) return undefined;
  const parts = pathname.slice(PORT_PROXY_PREFIX.length + 1).split('/');
  const [rawViber, portText, token] = parts;
  if (!rawViber || portText === undefined || token === undefined) return undefined;
  let viberId: string;
  try {
    viberId = decodeURIComponent(rawViber);
  } catch {
    return undefined;
  }
  const rest = parts.slice(3);
  return {
    viberId,
    portText,
    token,
    servicePath: rest.length === 0 ? undefined : `/${rest.join('/')}${query}`,
    cookiePath: `${PORT_PROXY_PREFIX}/${rawViber}/${portText}/`,
  };
}

export type PortAccessResult =
  | { ok: true; port: number; deviceId: string }
  | { ok: false; status: 401 | 403 | 404; code: 'unauthorized' | 'forbidden' | 'not_found'; message: string };

/**
 * Who may use a port link (docs/ports.md, "Security"): the token must open this port of this
 * viber and not have expired, and the operator device that opened it must still be paired with
 * `terminals.write`. The board's cookie counts for nothing here.
 */
export async function checkPortAccess(
  links: PortLinks,
  store: Pick<GatewayStore, 'getDevice' | 'getViber'>,
  target: PortTargetPath,
): Promise<PortAccessResult> {
  const port = /^\d{1,5}$/.test(target.portText) ? Number(target.portText) : Number.NaN;
  if (!(port >= 1 && port <= 65_535))
    return {
      ok: false,
      status: 404,
      code: 'not_found',
      message: `${target.portText.slice(0, 20)} is not a port number`,
    };
  if (!target.token)
    return { ok: false, status: 401, code: 'unauthorized', message: 'the link holds no port token' };
  const link = links.check(target.token, target.viberId, port);
  if (!link.ok)
    return {
      ok: false,
      status: link.status,
      code: link.status === 401 ? 'unauthorized' : 'forbidden',
      message: link.message,
    };
  const device = await store.getDevice(link.deviceId);
  if (
    device?.status !== 'paired' ||
    device.role !== 'operator' ||
    !device.scopes.includes('terminals.write')
  ) {
    return {
      ok: false,
      status: 403,
      code: 'forbidden',
      message: 'the operator device that opened this link is no longer paired with terminals.write',
    };
  }
  const viber = await store.getViber(target.viberId);
  if (!viber || viber.revokedAt)
    return { ok: false, status: 404, code: 'not_found', message: `no viber ${target.viberId} is registered` };
  return { ok: true, port, deviceId: link.deviceId };
}
