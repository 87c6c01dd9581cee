import type WebSocket from 'ws';

/**
 * Pings the sockets it watches on an interval and terminates one that did not answer the previous
 * ping: a closed laptop lid or a dropped network leaves a half-open socket that would otherwise
 * hold its resources (and, for a viewer, its place in a relay) for good.
 */
export class SocketPinger {
  readonly intervalMs: number;
  readonly #answered = new Map<WebSocket, boolean>();
  readonly #timer: NodeJS.Timeout;
  readonly #onSilent: (ws: WebSocket) => void;

  constructor(intervalMs: number, onSilent: (ws: WebSocket) => void = () => {}) {
    this.intervalMs = intervalMs;
    this.#onSilent = onSilent;
    this.#timer = setInterval(() => this.#pingAll(), intervalMs);
    this.#timer.unref();
  }

  /** Watches a socket until it closes. */
  watch(ws: WebSocket): void {
    this.#answered.set(ws, true);
    ws.on('pong', () => {
      if (this.#answered.has(ws)) this.#answered.set(ws, true);
    });
    ws.once('close', () => this.#answered.delete(ws));
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  #pingAll(): void {
    for (const [ws, answered] of this.#answered) {
      if (!answered) {
        this.#onSilent(ws);
        ws.terminate();
        this.#answered.delete(ws);
        continue;
      }
      this.#answered.set(ws, false);
      ws.ping();
    }
  }
}
