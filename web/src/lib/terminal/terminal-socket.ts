import type { TerminalAccess, TerminalClientMessage, TerminalServerMessage } from '#lib/protocol.ts';

/** Where the gateway serves terminals (docs/terminals.md); same origin, so the session cookie goes along. */
export const TERMINAL_SOCKET_PATH = '/api/terminals/ws';

export type TerminalListener = (message: TerminalServerMessage) => void;

/**
 * One browser connection to the gateway's terminal WebSocket. It reconnects after a drop (the
 * gateway restarting, a laptop waking up) and tells its owner, which attaches again and gets a
 * fresh screen: nothing is lost that the screen does not show.
 */
export class TerminalSocket {
  readonly access: TerminalAccess;
  #socket: WebSocket | undefined;
  #listeners = new Set<TerminalListener>();
  #onOpen: () => void;
  #closed = false;
  #retryMs = 500;
  #nextRequest = 0;

  constructor(access: TerminalAccess, onOpen: () => void) {
    this.access = access;
    this.#onOpen = onOpen;
    this.#connect();
  }

  get open(): boolean {
    return this.#socket?.readyState === WebSocket.OPEN;
  }

  listen(listener: TerminalListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  send(message: TerminalClientMessage): void {
    if (this.open) this.#socket!.send(JSON.stringify(message));
  }

  /** A request id unique on this connection. */
  requestId(): string {
    this.#nextRequest += 1;
    return `b${this.#nextRequest}`;
  }

  close(): void {
    this.#closed = true;
    this.#socket?.close();
  }

  #connect(): void {
    const url = new URL(TERMINAL_SOCKET_PATH, location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('access', this.access);
    const socket = new WebSocket(url);
    this.#socket = socket;
    socket.onmessage = (event) => {
      const message = JSON.parse(String(event.data)) as TerminalServerMessage;
      if (message.type === 'terminal:ready') {
        this.#retryMs = 500;
        this.#onOpen();
      }
      for (const listener of this.#listeners) listener(message);
    };
    socket.onclose = () => {
      if (this.#closed || this.#socket !== socket) return;
      setTimeout(() => this.#connect(), this.#retryMs);
      this.#retryMs = Math.min(this.#retryMs * 2, 10_000);
    };
  }
}
