import type { BoardEvent } from '#lib/protocol.ts';
import { session } from '../state/session.svelte.ts';
import { backoffMs, readEventStream, sleep } from './sse.ts';

export type LinkState = 'connecting' | 'live' | 'reconnecting';

export interface BoardEventsHandlers {
  /** Subscribed: refetch everything now (events are not replayed, DESIGN: push-only). */
  onReady(event: Extract<BoardEvent, { type: 'events.ready' }>): void;
  onEvent(event: BoardEvent): void;
  onState(state: LinkState, detail?: string): void;
}

/**
 * The board's one live connection, `GET /api/events`: reconnects with backoff after any drop,
 * and treats a silent connection (no event or heartbeat for two heartbeat periods) as dropped.
 * Stops on 401: the session expired, and the layout offers to sign in again.
 */
export class BoardEventsConnection {
  readonly #handlers: BoardEventsHandlers;
  readonly #stop = new AbortController();

  constructor(handlers: BoardEventsHandlers) {
    this.#handlers = handlers;
  }

  start(): void {
    this.#run().catch(() => {});
  }

  stop(): void {
    this.#stop.abort();
  }

  async #run(): Promise<void> {
    let attempt = 0;
    while (!this.#stop.signal.aborted) {
      const connection = new AbortController();
      const abort = () => connection.abort();
      this.#stop.signal.addEventListener('abort', abort);
      let watchdog: ReturnType<typeof setTimeout> | undefined;
      let silenceMs = 40_000;
      const alive = () => {
        clearTimeout(watchdog);
        watchdog = setTimeout(abort, silenceMs);
      };
      let reason = 'the connection to the gateway dropped';
      try {
        this.#handlers.onState(attempt === 0 ? 'connecting' : 'reconnecting');
        const response = await fetch('/api/events', {
          credentials: 'same-origin',
          headers: { accept: 'text/event-stream' },
          signal: connection.signal,
        });
        if (response.status === 401) {
          session.expired('Your session has expired or was signed out.');
          return;
        }
        if (!response.ok) throw new Error(`the gateway answered HTTP ${response.status}`);
        alive();
        await readEventStream(response, {
          onActivity: alive,
          onEvent: (message) => {
            const event = JSON.parse(message.data) as BoardEvent;
            if (event.type === 'events.ready') {
              attempt = 0;
              silenceMs = event.heartbeatMs * 2 + 5_000;
              alive();
              this.#handlers.onState('live');
              this.#handlers.onReady(event);
            } else {
              this.#handlers.onEvent(event);
            }
          },
        });
      } catch (error) {
        reason = (error as Error).name === 'AbortError' ? 'the gateway went quiet' : 'the gateway is not answering';
      } finally {
        clearTimeout(watchdog);
        this.#stop.signal.removeEventListener('abort', abort);
      }
      if (this.#stop.signal.aborted) return;
      const wait = backoffMs(attempt++);
      this.#handlers.onState('reconnecting', `${reason}; retrying in ${Math.ceil(wait / 1000)} s`);
      await sleep(wait, this.#stop.signal);
    }
  }
}
