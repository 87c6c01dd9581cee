import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import { SIGNATURE_WINDOW_SECONDS, type SignatureCheck } from '../channel-signature.ts';

/**
 * Discord's interaction signing (discord.com/developers/docs/interactions/overview, "Setting up an
 * endpoint"): `X-Signature-Ed25519: <hex Ed25519 signature of "<timestamp><raw body>">` and
 * `X-Signature-Timestamp`, checked against the application's public key (hex, from the developer
 * portal). Discord sends deliberately bad signatures when the endpoint is set, expecting a 401.
 * The timestamp must be within five minutes of the gateway's clock, as for the other platforms.
 */
export const DISCORD_SIGNATURE_HEADER = 'x-signature-ed25519';
export const DISCORD_TIMESTAMP_HEADER = 'x-signature-timestamp';

/** True for the 64 hex digits of a raw Ed25519 public key. */
export const isPublicKeyHex = (value: unknown): value is string =>
  typeof value === 'string' && /^[0-9a-fA-F]{64}$/.test(value);

const keys = new Map<string, KeyObject>();

/** The key object of a raw public key in hex (as a JWK: no DER prefix to get right), cached. */
function publicKeyOf(hex: string): KeyObject {
  let key = keys.get(hex);
  if (!key) {
    key = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(hex, 'hex').toString('base64url') },
      format: 'jwk',
    });
    if (keys.size > 100) keys.clear();
    keys.set(hex, key);
  }
  return key;
}

export function verifyDiscordSignature(
  publicKeyHex: string,
  headers: Headers,
  body: string,
  nowSeconds: number = Math.floor(Date.now() / 1000),
): SignatureCheck {
  const signature = headers.get(DISCORD_SIGNATURE_HEADER);
  const stamp = headers.get(DISCORD_TIMESTAMP_HEADER);
  if (!signature || !stamp)
    return { ok: false, reason: `missing ${DISCORD_SIGNATURE_HEADER} or ${DISCORD_TIMESTAMP_HEADER}` };
  if (!/^\d{1,12}$/.test(stamp))
    return { ok: false, reason: `${DISCORD_TIMESTAMP_HEADER} is not seconds since the epoch` };
  if (!/^[0-9a-fA-F]{128}$/.test(signature))
    return { ok: false, reason: `${DISCORD_SIGNATURE_HEADER} is not 64 bytes of hex` };
  const timestamp = Number(stamp);
  if (Math.abs(nowSeconds - timestamp) > SIGNATURE_WINDOW_SECONDS) {
    return {
      ok: false,
      reason: `stale timestamp: more than ${SIGNATURE_WINDOW_SECONDS} s from the gateway's clock`,
    };
  }
  if (!isPublicKeyHex(publicKeyHex)) return { ok: false, reason: 'the channel has no valid publicKey' };
  let valid: boolean;
  try {
    valid = verify(null, Buffer.from(stamp + body), publicKeyOf(publicKeyHex), Buffer.from(signature, 'hex'));
  } catch {
    valid = false;
  }
  return valid ? { ok: true, timestamp } : { ok: false, reason: 'bad signature' };
}
