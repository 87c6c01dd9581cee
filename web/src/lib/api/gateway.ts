import { createGatewayClient, GatewayClientError } from '#lib/client.ts';
import { session } from '../state/session.svelte.ts';

/**
 * The board's one client of the gateway. Same origin (`baseUrl: ''`), so the session cookie goes
 * with every call (HttpOnly: the page never reads it), and a 401 on any call marks the session
 * expired, so the layout offers to sign in again wherever it happened. The resource modules beside
 * this one (tasks, vibers, environments, session, terminals) are built on it; components import
 * those, never a path.
 */
export const gateway = createGatewayClient({
  baseUrl: '',
  credentials: 'same-origin',
  onError: (error) => {
    if (error.status === 401) session.expired(error.message);
  },
});

export const UNREACHABLE_MESSAGE =
  'The gateway is not answering. Check that `viber up` (or `viber gateway`) is still running; the board reconnects by itself.';

/** What to show for a failed call: the gateway's own message, or what to do when it is away. */
export function errorMessage(error: unknown): string {
  if (!GatewayClientError.isInstance(error)) return String(error);
  return error.code === 'unreachable' ? UNREACHABLE_MESSAGE : error.message;
}

/** The gateway answered that the thing asked for does not exist. */
export function isNotFound(error: unknown): boolean {
  return GatewayClientError.isInstance(error) && error.status === 404;
}

/** Why a live connection dropped, in a few words for a banner. */
export function dropReason(error: GatewayClientError): string {
  return error.status > 0 && error.code !== 'unreachable'
    ? `the gateway answered HTTP ${error.status}`
    : 'the gateway is not answering';
}

/** A fresh key per user action, so a retried click never creates a second task. */
export function newIdempotencyKey(): string {
  return `board-${crypto.randomUUID()}`;
}
