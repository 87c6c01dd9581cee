import { createHash } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../../core/logger.ts';
import type { GatewayStore } from '../store/gateway-store.ts';
import { errorResponse } from './http-errors.ts';
import type { BodyVariables } from './read-body.ts';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
/** How long a stored response answers retries. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/**
 * `Idempotency-Key` on side-effecting POSTs (DESIGN.md, rule 6): the first response is stored with
 * a hash of method, path and body; a retry with the same key gets it back unchanged, the same key
 * with a different request gets 422. Concurrent retries wait for the first one.
 */
export function idempotency(
  store: GatewayStore,
  log: Logger,
): MiddlewareHandler<{ Variables: BodyVariables }> {
  const inFlight = new Map<string, Promise<void>>();
  return async function idempotencyMiddleware(c, next) {
    const key = c.req.header(IDEMPOTENCY_HEADER);
    if (c.req.method !== 'POST' || key === undefined) return next();
    if (!KEY_PATTERN.test(key)) {
      return errorResponse(
        c,
        'bad_request',
        'Idempotency-Key must be 1 to 255 visible ASCII characters',
        400,
      );
    }
    const url = new URL(c.req.url);
    const requestHash = createHash('sha256')
      .update(`${c.req.method}\n${url.pathname}${url.search}\n${c.get('bodyText') ?? ''}`)
      .digest('hex');
    for (let pending = inFlight.get(key); pending; pending = inFlight.get(key)) await pending;
    const stored = await store.getIdempotency(key);
    if (stored) {
      if (stored.requestHash !== requestHash) {
        return errorResponse(
          c,
          'idempotency_conflict',
          'Idempotency-Key was already used with a different request',
          422,
        );
      }
      return new Response(stored.body, {
        status: stored.status,
        headers: { 'content-type': 'application/json', 'idempotent-replayed': 'true' },
      });
    }
    const first = (async () => {
      await next();
      if (c.res.status >= 500) return;
      const body = await c.res.clone().text();
      await store.putIdempotency({
        key,
        requestHash,
        status: c.res.status,
        body,
        createdAt: new Date().toISOString(),
      });
      log.debug({ status: c.res.status }, 'idempotent response stored');
    })();
    const settled = first.catch(() => {});
    inFlight.set(key, settled);
    try {
      await first;
    } finally {
      inFlight.delete(key);
    }
  };
}
