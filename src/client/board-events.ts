import { type BoardEvent, BoardEventSchema } from '../protocol/index.ts';
import { linkedController } from './abort-link.ts';
import { Backoff, type BackoffOptions, sleep } from './backoff.ts';
import type { GatewayAccess } from './gateway-access.ts';
import { GatewayClientError } from './gateway-client-error.ts';
import { parseEventData, readSse } from './sse-events.ts';

const ROUTE = 'events.stream';
/** Silence allowed before the first event says what the server's heartbeat is. */
const DEFAULT_IDLE_MS = 40_000;

export type ReadyEvent = Extract<BoardEvent, { type: 'events.ready' }>;

/**
 * What a follower of `/api/events` is told. Events are push-only (nothing is replayed), so every
 * `ready` means: subscribed now, refetch what you show. `disconnected` comes before each wait.
 */
export type BoardFeedItem =
  | { kind: 'ready'; event: ReadyEvent; reconnected: boolean }
  | { kind: 'event'; event: Exclude<BoardEvent, ReadyEvent> }
  | { kind: 'disconnected'; error: GatewayClientError; attempt: number; retryInMs: number };

export interface FollowBoardEventsOptions {
  signal?: AbortSignal;
  backoff?: BackoffOptions;
}

/**
 * Follows the board's event channel until `signal` aborts: reconnects with backoff after a drop,
 * and counts a connection silent for two announced heartbeats (plus slack) as dropped. A 401 or
 * 403 is thrown (a session that expired will not come back by waiting); so is an event that does
 * not match the protocol.
 */
export async function* followBoardEvents(
  client: GatewayAccess,
  options: FollowBoardEventsOptions = {},
): AsyncGenerator<BoardFeedItem, void> {
  const { signal } = options;
  const backoff = new Backoff(options.backoff);
  let connections = 0;
  for (;;) {
    signal?.throwIfAborted();
    const connection = linkedController(signal);
    let idleMs = DEFAULT_IDLE_MS;
    let failure: GatewayClientError;
    try {
      const response = await client.open(ROUTE, { signal: connection.signal });
      for await (const message of readSse(response, { route: ROUTE, idleMs: () => idleMs })) {
        const event = parseEventData(message.data, BoardEventSchema, ROUTE, 'a board event');
        if (event.type === 'events.ready') {
          backoff.reset();
          // Two heartbeats missed, plus one more (at most 5 s) of slack for a busy event loop.
          idleMs = event.heartbeatMs * 2 + Math.min(event.heartbeatMs, 5_000);
          connections += 1;
          yield { kind: 'ready', event, reconnected: connections > 1 };
        } else {
          yield { kind: 'event', event };
        }
      }
      // The gateway closes streams it cannot keep (a client too slow, a shutdown): reconnect.
      failure = new GatewayClientError('unreachable', 'the board event stream ended', { route: ROUTE });
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (!GatewayClientError.isInstance(error) || !error.retryable) throw error;
      failure = error;
    } finally {
      connection.dispose();
    }
    const retryInMs = backoff.next();
    yield { kind: 'disconnected', error: failure, attempt: backoff.attempts, retryInMs };
    await sleep(retryInMs, signal);
  }
}
