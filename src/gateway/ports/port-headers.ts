import { BOARD_SESSION_COOKIE, type PortHeaderList } from '../../protocol/index.ts';

/**
 * What crosses the proxy in each direction (docs/ports.md, "Security"). Toward the service: the
 * client's headers without hop-by-hop ones and without anything of the gateway's own (its session
 * cookie, a bearer token of its own, the Referer that holds the link's token). Toward the browser:
 * the service's headers with the sandbox that keeps its pages away from the board, and its cookies
 * held inside the port's own path.
 */

/** RFC 9110 section 7.6.1, and the old proxy headers. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Headers that say something about the client's path to the gateway; the service is told nothing of it. */
const NOT_FORWARDED = new Set([
  'host',
  'referer',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-real-ip',
]);

/** The cookies of the gateway itself: never sent to a service, never set by one. */
export const GATEWAY_COOKIE_NAMES: ReadonlySet<string> = new Set([BOARD_SESSION_COOKIE]);

/** Every proxied answer runs in an opaque origin: no cookies, storage or API of the board's origin. */
export const PORT_SANDBOX_CSP = 'sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads';

/** A bearer credential the gateway issued (`ovo_`, `ovd_`, `ovv_`, `ovc_`...). */
const GATEWAY_BEARER = /^bearer\s+ov[a-z]_/i;

/** Names listed in `Connection` are hop-by-hop for this message too. */
function connectionNames(headers: PortHeaderList): Set<string> {
  const names = new Set<string>();
  for (const [name, value] of headers) {
    if (name.toLowerCase() !== 'connection') continue;
    for (const part of value.split(',')) names.add(part.trim().toLowerCase());
  }
  return names;
}

/**
 * The client's headers as the service gets them. A WebSocket upgrade keeps `Connection: Upgrade`
 * and `Upgrade`; its `Sec-WebSocket-*` pass unchanged (the handshake is the service's). `Origin`,
 * when present, becomes the service's own (the link's token already proved who is asking).
 */
export function requestHeadersForService(
  headers: PortHeaderList,
  port: number,
  upgrade: boolean,
): PortHeaderList {
  const listed = connectionNames(headers);
  const out: PortHeaderList = [];
  for (const [name, value] of headers) {
    const key = name.toLowerCase();
    if (HOP_BY_HOP.has(key) || listed.has(key) || NOT_FORWARDED.has(key)) continue;
    if (key === 'authorization' && GATEWAY_BEARER.test(value)) continue;
    if (key === 'cookie') {
      const kept = withoutGatewayCookies(value);
      if (kept) out.push([name, kept]);
      continue;
    }
    if (key === 'origin') {
      out.push([name, `http://localhost:${port}`]);
      continue;
    }
    out.push([name, value]);
  }
  if (upgrade) {
    const wanted = headers.find(([name]) => name.toLowerCase() === 'upgrade');
    out.push(['Connection', 'Upgrade'], ['Upgrade', wanted?.[1] ?? 'websocket']);
  }
  return out;
}

/** `a=1; openviber_session=...; b=2` without the gateway's cookies. */
export function withoutGatewayCookies(header: string): string {
  return header
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part !== '' && !GATEWAY_COOKIE_NAMES.has(part.slice(0, part.indexOf('=')).trim()))
    .join('; ');
}

/**
 * The service's headers as the browser gets them: hop-by-hop ones dropped (the gateway frames the
 * body itself), the sandbox CSP added, `Referrer-Policy: no-referrer` (the link's token is in the
 * URL), CORS opened for the sandboxed page's own fetches (its origin is `null`), and each cookie
 * the service sets held to `cookiePath` (the port's prefix) with no Domain; a cookie named like
 * the gateway's is dropped. A tunnel's 101 keeps its `Connection` and `Upgrade`.
 */
export function responseHeadersForBrowser(
  headers: PortHeaderList,
  cookiePath: string,
  tunnel: boolean,
): PortHeaderList {
  const listed = connectionNames(headers);
  const out: PortHeaderList = [];
  for (const [name, value] of headers) {
    const key = name.toLowerCase();
    if (tunnel && (key === 'connection' || key === 'upgrade')) {
      out.push([name, value]);
      continue;
    }
    if (HOP_BY_HOP.has(key) || listed.has(key)) continue;
    if (key === 'referrer-policy' || key.startsWith('access-control-')) continue;
    if (key === 'set-cookie') {
      const cookie = scopedCookie(value, cookiePath);
      if (cookie) out.push([name, cookie]);
      continue;
    }
    out.push([name, value]);
  }
  out.push(
    ['Content-Security-Policy', PORT_SANDBOX_CSP],
    ['Referrer-Policy', 'no-referrer'],
    ['Access-Control-Allow-Origin', '*'],
    ['X-Content-Type-Options', 'nosniff'],
  );
  return out;
}

/** A Set-Cookie held to `path` with no Domain, or undefined for a cookie named like the gateway's. */
export function scopedCookie(setCookie: string, path: string): string | undefined {
  const [pair = '', ...attributes] = setCookie.split(';');
  const name = pair.slice(0, pair.indexOf('=')).trim();
  if (pair.indexOf('=') === -1 || GATEWAY_COOKIE_NAMES.has(name) || name.startsWith('__Host-'))
    return undefined;
  const kept = attributes
    .map((attribute) => attribute.trim())
    .filter((attribute) => {
      const key = attribute.split('=')[0]!.trim().toLowerCase();
      return attribute !== '' && key !== 'path' && key !== 'domain';
    });
  return [pair.trim(), ...kept, `Path=${path}`].join('; ');
}
