import {
  GatewayClientError,
  type TerminalAnswer,
  type TerminalConnection,
  type TerminalRequest,
} from '#lib/client.ts';
import type { TerminalAccess, TerminalClientMessage, TerminalServerMessage } from '#lib/protocol.ts';
import { keepTerminal } from '../api/terminals.ts';

export type TerminalListener = (message: TerminalServerMessage) => void;

/**
 * One browser link to the gateway's terminal socket for a page or a panel. It outlives its
 * connections: after a drop (the gateway restarting, a laptop waking up) `keepTerminal` opens a
 * new one and `onReady` is called again, where the owner attaches again and gets a fresh screen,
 * so nothing is lost that the screen does not show. Listeners stay subscribed across connections.
 */
export class TerminalLink {
  readonly access: TerminalAccess;
  #connection: TerminalConnection | undefined;
  readonly #listeners = new Set<TerminalListener>();
  readonly #stop = new AbortController();

  constructor(access: TerminalAccess, onReady: () => void, onRefused?: (message: string) => void) {
    this.access = access;
    keepTerminal({
      access,
      signal: this.#stop.signal,
      onConnection: (connection) => {
        this.#connection = connection;
        connection.onMessage((message) => {
          for (const listener of [...this.#listeners]) listener(message);
        });
        onReady();
      },
      onDisconnected: () => {
        this.#connection = undefined;
      },
    }).catch((error: unknown) => onRefused?.(error instanceof Error ? error.message : String(error)));
  }

  get open(): boolean {
    return this.#connection?.socket.readyState === WebSocket.OPEN;
  }

  /** The most a `terminal:input` may carry, as the gateway announced it (0 until connected). */
  get maxInputChars(): number {
    return this.#connection?.maxInputChars ?? 0;
  }

  listen(listener: TerminalListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Sends when connected; dropped otherwise (`onReady` says when to attach again). */
  send(message: TerminalClientMessage): void {
    if (this.open) this.#connection?.send(message);
  }

  /** A request with its answer (`terminal:list` answers `terminal:list-result`, ...). */
  request<T extends TerminalRequest['type']>(message: TerminalRequest & { type: T }): Promise<TerminalAnswer<T>> {
    if (!this.#connection) {
      return Promise.reject(new GatewayClientError('unreachable', 'the terminal socket is not open'));
    }
    return this.#connection.request<T>(message);
  }

  close(): void {
    this.#stop.abort();
    void this.#connection?.close();
  }
}
