import { createHash } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import type { Logger } from '../../core/logger.ts';
import { matchRoute } from '../../protocol/index.ts';
import type { IdempotencyRecord, IdempotencyStore } from '../store/index.ts';
import { errorResponse } from './http-errors.ts';
import type { GatewayEnv } from './route-context.ts';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
/** How long a stored response answers retries. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
/** Marks a stored body that holds a sealed response; a JSON body never starts with it. */
const SEALED_PREFIX = 'sealed:';
const SECRET_FLAG = 'idempotentSecret';

/** A sealed value opened, or why it would not open. */
type Opened = { ok: true; value: string } | { ok: false; reason: string };

/** Encrypts stored responses that hold a secret: the gateway's SecretBox (master key). */
export interface ReplaySealer {
  sealText(context: string, text: string): string | null;
  openText(context: string, sealed: string): Opened;
  readonly problem: string | null;
}

type SecretMark = { ifLost: string };
type IdempotencyEnv = { Variables: GatewayEnv['Variables'] & { [SECRET_FLAG]?: SecretMark } };

/**
 * A route calls this when its response holds a secret (a new viber's token): the stored copy that
 * answers retries is then sealed under the master key, never kept in the clear. `ifLost` tells
 * the client what to do should the sealed copy not open on a retry (the master key changed).
 */
export function holdsSecret(c: Context, ifLost: string): void {
  (c as unknown as Context<IdempotencyEnv>).set(SECRET_FLAG, { ifLost });
}

/** What the idempotency table keeps of a secret-holding response: the sealed text, or why not. */
interface SealedReplay {
  data: string | null;
  reason?: string;
  ifLost: string;
}

/**
 * `Idempotency-Key` on the routes the table marks `idempotencyKey` (the side-effecting POSTs;
 * DESIGN.md, rule 6): the first response is stored with
 * a hash of method, path and body; a retry with the same key gets it back unchanged, the same key
 * with a different request gets 422. Concurrent retries wait for the first one.
 *
 * A response holding a secret is stored sealed (AES-256-GCM under the master key, bound to the
 * key and request) and replayed as the same response: a client whose first answer was lost gets
 * the very token that was issued. Omitting the token would leave it a viber it cannot use, and a
 * fresh token would silently revoke the first. Without a usable master key the secret is not
 * kept at all and a retry is told so (409), with what to do instead.
 */
export function idempotency(
  store: IdempotencyStore,
  log: Logger,
  sealer: ReplaySealer,
): MiddlewareHandler<IdempotencyEnv> {
  const inFlight = new Map<string, Promise<void>>();
  return async function idempotencyMiddleware(c, next) {
    const given = c.req.header(IDEMPOTENCY_HEADER);
    if (given === undefined || !takesIdempotencyKey(c.req.method, c.req.path)) return next();
    if (!KEY_PATTERN.test(given)) {
      return errorResponse(
        c,
        'bad_request',
        'Idempotency-Key must be 1 to 255 visible ASCII characters',
        400,
      );
    }
    // Keys are per device: another device's key never replays this one's answer (it may hold a secret).
    const key = `${c.get('principal')?.deviceId ?? 'anonymous'}\n${given}`;
    const url = new URL(c.req.url);
    const requestHash = createHash('sha256')
      .update(`${c.req.method}\n${url.pathname}${url.search}\n${c.get('bodyText') ?? ''}`)
      .digest('hex');
    const context = `idempotency\n${key}\n${requestHash}`;
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
      return replay(c, stored, context, sealer);
    }
    const first = (async () => {
      await next();
      if (c.res.status >= 500) return;
      const text = await c.res.clone().text();
      const secret = c.get(SECRET_FLAG);
      await store.putIdempotency({
        key,
        requestHash,
        status: c.res.status,
        body: secret ? seal(text, context, secret, sealer) : text,
        createdAt: new Date().toISOString(),
      });
      log.debug({ status: c.res.status, sealed: secret !== undefined }, 'idempotent response stored');
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

/** The route table says which routes store their answer for a retry (every side-effecting POST). */
function takesIdempotencyKey(method: string, path: string): boolean {
  const route = matchRoute(method, path)?.route;
  return route?.kind === 'json' && route.idempotencyKey;
}

function seal(text: string, context: string, mark: SecretMark, sealer: ReplaySealer): string {
  const data = sealer.sealText(context, text);
  const replay: SealedReplay =
    data === null
      ? { data, reason: sealer.problem ?? 'this gateway has no master key', ifLost: mark.ifLost }
      : { data, ifLost: mark.ifLost };
  return `${SEALED_PREFIX}${JSON.stringify(replay)}`;
}

function replay(c: Context, stored: IdempotencyRecord, context: string, sealer: ReplaySealer): Response {
  let body = stored.body;
  if (body.startsWith(SEALED_PREFIX)) {
    const sealed = JSON.parse(body.slice(SEALED_PREFIX.length)) as SealedReplay;
    const opened: Opened =
      sealed.data === null
        ? { ok: false, reason: `it was not kept: ${sealed.reason ?? 'no master key'}` }
        : sealer.openText(context, sealed.data);
    if (!opened.ok) {
      const response = errorResponse(
        c,
        'conflict',
        `the request with this Idempotency-Key was already carried out (${stored.status}), but its response holds a secret that cannot be shown again (${opened.reason}); ${sealed.ifLost}`,
        409,
      );
      response.headers.set('idempotent-replayed', 'true');
      return response;
    }
    body = opened.value;
  }
  return new Response(body, {
    status: stored.status,
    headers: { 'content-type': 'application/json', 'idempotent-replayed': 'true' },
  });
}
