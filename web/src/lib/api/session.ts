import type { RouteInput } from '#lib/client.ts';
import type { SessionView, SignedOutResponse } from '#lib/protocol.ts';
import { gateway } from './gateway.ts';

/** The board's sign-in (`session.*` in src/protocol/board-api.ts): the cookie is set and cleared by the gateway. */

export type SignInInput = RouteInput<'session.create'>['body'];

/** Exchanges a one-time code (or the operator token) for the session cookie. */
export function signIn(body: SignInInput): Promise<SessionView> {
  return gateway.call('session.create', { body });
}

export function signOut(): Promise<SignedOutResponse> {
  return gateway.call('session.logout');
}
