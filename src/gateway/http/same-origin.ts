import type { Context } from 'hono';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Methods that change nothing; a cookie-authenticated request with any other needs the origin check. */
export const isSafeMethod = (method: string): boolean => SAFE_METHODS.has(method.toUpperCase());

/**
 * CSRF defence for cookie-authenticated requests (SameSite=Strict is the first line): the browser's
 * `Origin` must name this gateway's own host. Without `Origin`, `Sec-Fetch-Site: same-origin` is
 * accepted; a request with neither is refused, as old browsers are not worth the risk.
 * Hosts are compared, not schemes, so a TLS-terminating proxy in front of the gateway still works.
 */
export function isSameOrigin(c: Context): boolean {
  const host = c.req.header('host');
  const origin = c.req.header('origin');
  if (origin !== undefined) {
    if (!host || origin === 'null') return false;
    try {
      return new URL(origin).host === host;
    } catch {
      return false;
    }
  }
  return c.req.header('sec-fetch-site') === 'same-origin';
}
