import { createHash, createPublicKey, verify } from 'node:crypto';
import {
  CONNECT_MAX_SKEW_MS,
  type ConnectRefusalCode,
  connectSignedPayload,
  type DeviceProof,
  type DeviceRole,
} from '../../protocol/index.ts';

/** Hex SHA-256 of the raw Ed25519 public key (base64url): the device's id. */
export function keyIdOf(publicKey: string): string {
  return createHash('sha256').update(Buffer.from(publicKey, 'base64url')).digest('hex');
}

export type ProofCheck = { ok: true } | { ok: false; code: ConnectRefusalCode; message: string };

/**
 * Checks a device proof against what it claims to sign: the id is the key's hash, the signing time
 * is within the allowed skew of `now`, and the Ed25519 signature verifies over the v1 payload.
 */
export function checkDeviceProof(
  proof: DeviceProof,
  signed: { role: DeviceRole; scopes: readonly string[]; nonce: string },
  now: number,
): ProofCheck {
  if (keyIdOf(proof.publicKey) !== proof.id) {
    return { ok: false, code: 'bad_signature', message: 'device.id is not the SHA-256 of device.publicKey' };
  }
  const skew = proof.signedAt - now;
  if (Math.abs(skew) > CONNECT_MAX_SKEW_MS) {
    return {
      ok: false,
      code: 'clock_skew',
      message: `the device clock is ${Math.round(skew / 1000)} s off the gateway's (at most ${CONNECT_MAX_SKEW_MS / 1000} s either way): set this machine's clock`,
    };
  }
  const payload = connectSignedPayload({ deviceId: proof.id, ...signed, signedAt: proof.signedAt });
  let valid = false;
  try {
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: proof.publicKey }, format: 'jwk' });
    valid = verify(null, Buffer.from(payload, 'utf8'), key, Buffer.from(proof.signature, 'base64url'));
  } catch {
    valid = false;
  }
  return valid
    ? { ok: true }
    : { ok: false, code: 'bad_signature', message: 'the device signature does not verify' };
}
