import type { BoardEvent } from '#lib/protocol.ts';
import { dropReason, errorMessage, gateway } from './gateway.ts';

export type LinkState = 'connecting' | 'live' | 'reconnecting' | 'stopped';

export interface BoardEventsHandlers {
  /** Subscribed: refetch everything now (events are not replayed, DESIGN: push-only). */
  onReady(event: Extract<BoardEvent, { type: 'events.ready' }>): void;
  onEvent(event: BoardEvent): void;
  onState(state: LinkState, detail?: string): void;
}

/**
 * The board's one live connection, `GET /api/events`: a loop over the client's
 * followBoardEvents, which reconnects with the one backoff and counts a silent connection (two
 * heartbeats missed) as dropped. The loop adds what only a browser knows: when it comes back
 * online, the wait is cut short and the follower starts over at once. It ends on a refusal (a
 * 401 has already marked the session expired, and the layout offers to sign in again) or on an
 * event this board cannot read (a newer gateway: waiting will not help, a reload will).
 */
export class BoardEventsConnection {
  readonly #handlers: BoardEventsHandlers;
  readonly #stop = new AbortController();

  constructor(handlers: BoardEventsHandlers) {
    this.#handlers = handlers;
  }

  start(): void {
    void this.#run();
  }

  stop(): void {
    this.#stop.abort();
  }

  async #run(): Promise<void> {
    this.#handlers.onState('connecting');
    while (!this.#stop.signal.aborted) {
      const follower = new AbortController();
      const stop = () => follower.abort();
      this.#stop.signal.addEventListener('abort', stop, { once: true });
      try {
        for await (const item of gateway.followBoardEvents({ signal: follower.signal })) {
          window.removeEventListener('online', stop);
          if (item.kind === 'ready') {
            this.#handlers.onState('live');
            this.#handlers.onReady(item.event);
          } else if (item.kind === 'event') {
            this.#handlers.onEvent(item.event);
          } else {
            const seconds = Math.ceil(item.retryInMs / 1000);
            this.#handlers.onState('reconnecting', `${dropReason(item.error)}; retrying in ${seconds} s`);
            window.addEventListener('online', stop, { once: true });
          }
        }
      } catch (error) {
        // Back online while waiting out the backoff: the next follower connects now.
        if (this.#stop.signal.aborted || follower.signal.aborted) continue;
        this.#handlers.onState('stopped', errorMessage(error));
        return;
      } finally {
        window.removeEventListener('online', stop);
        this.#stop.signal.removeEventListener('abort', stop);
      }
    }
  }
}
