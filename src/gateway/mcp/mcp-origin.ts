import { isIP } from 'node:net';

/**
 * DNS rebinding protection for /mcp (MCP, Streamable HTTP: a server MUST validate `Origin`, and
 * answer 403 to an invalid one). Only browsers send `Origin`; a request without it (a coding
 * assistant, the SDK's client, curl) passes here and still needs its bearer token. With one, the
 * origin must be one of the gateway's CORS origins, or the gateway's own: the very host the
 * request was sent to (its `Host`), when that host is an IP address or `localhost`, which no DNS
 * answer can make point elsewhere. A DNS name is not believed on the `Host` header's word alone: a
 * page at a name an attacker rebinds to the gateway's address sends that name as both `Host` and
 * `Origin`. Serve a browser client from a name by listing its origin in the CORS origins.
 */
export function mcpOriginAllowed(
  origin: string | undefined,
  host: string | undefined,
  corsOrigins: ReadonlySet<string>,
): boolean {
  if (origin === undefined) return true;
  if (corsOrigins.has(origin)) return true;
  if (!host || origin === 'null') return false;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.host.toLowerCase() !== host.toLowerCase()) return false;
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return hostname === 'localhost' || isIP(hostname) !== 0;
}
