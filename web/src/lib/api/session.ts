import { proveDevice } from '#lib/client.ts';
import type { SessionView, SignedOutResponse } from '#lib/protocol.ts';
import { deviceKey } from '../state/device-key.ts';
import { gateway } from './gateway.ts';

/** The board's sign-in (`session.*` in src/protocol/board-api.ts): the cookie is set and cleared by the gateway. */

/** What the person gives: the one-time code of a sign-in link, or the operator token. */
export type SignInCredential = { code: string } | { token: string };

export interface SignedIn {
  view: SessionView;
  /** Why this browser signed in without a device key (null: it proved its key). */
  keyless: string | null;
}

/**
 * Exchanges a one-time code (or the operator token) for the session cookie. With a device key the
 * browser signs a fresh challenge (role operator, no scopes asked: it gets the credential's), and
 * becomes that paired device; signing in again from it is the same device. Without one it signs
 * in as a keyless browser device.
 */
export async function signIn(credential: SignInCredential): Promise<SignedIn> {
  const key = await deviceKey();
  if (!key.identity) {
    return { view: await gateway.call('session.create', { body: credential }), keyless: key.reason };
  }
  const challenge = await gateway.call('session.challenge');
  // Signed at the gateway's own clock, so a browser whose clock is off still signs in.
  const device = await proveDevice(key.identity, { role: 'operator', scopes: [], nonce: challenge.nonce }, challenge.ts);
  const view = await gateway.call('session.create', { body: { ...credential, device, nonce: challenge.nonce } });
  return { view, keyless: null };
}

/** Who this browser is signed in as: its device, role and scopes. */
export function getSession(): Promise<SessionView> {
  return gateway.call('session.get');
}

export function signOut(): Promise<SignedOutResponse> {
  return gateway.call('session.logout');
}
