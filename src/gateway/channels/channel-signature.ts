import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The generic webhook's signing scheme (docs/channels.md, "Signed webhooks"), both ways:
 * `X-OpenViber-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<body>" under the signing secret>`,
 * `X-OpenViber-Timestamp: <seconds since the epoch>`, `X-OpenViber-Event-Id: <unique id>`.
 */
export const SIGNATURE_HEADER = 'x-openviber-signature';
export const TIMESTAMP_HEADER = 'x-openviber-timestamp';
export const EVENT_ID_HEADER = 'x-openviber-event-id';
/** A request signed longer ago (or further ahead) than this is refused as stale. */
export const SIGNATURE_WINDOW_SECONDS = 5 * 60;

export function signBody(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Compares two secrets or signatures in constant time (for equal lengths; unequal ones differ). */
export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

export type SignatureCheck = { ok: true; timestamp: number } | { ok: false; reason: string };

/** Checks a signed request: the timestamp in the window, then the signature, timing-safe. */
export function verifySignature(
  secret: string,
  headers: Headers,
  body: string,
  nowSeconds: number = Math.floor(Date.now() / 1000),
): SignatureCheck {
  const signature = headers.get(SIGNATURE_HEADER);
  const stamp = headers.get(TIMESTAMP_HEADER);
  if (!signature || !stamp)
    return { ok: false, reason: `missing ${SIGNATURE_HEADER} or ${TIMESTAMP_HEADER}` };
  if (!/^\d{1,12}$/.test(stamp))
    return { ok: false, reason: `${TIMESTAMP_HEADER} is not seconds since the epoch` };
  const timestamp = Number(stamp);
  if (Math.abs(nowSeconds - timestamp) > SIGNATURE_WINDOW_SECONDS) {
    return {
      ok: false,
      reason: `stale timestamp: more than ${SIGNATURE_WINDOW_SECONDS} s from the gateway's clock`,
    };
  }
  if (!sameSecret(signature, signBody(secret, timestamp, body)))
    return { ok: false, reason: 'bad signature' };
  return { ok: true, timestamp };
}
