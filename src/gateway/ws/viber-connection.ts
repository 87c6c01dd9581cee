import WebSocket from 'ws';
import type { Logger } from '../../core/logger.ts';
import type { GatewayMessage } from '../../protocol/index.ts';

/**
 * One daemon's WebSocket. Kept small on purpose (a gateway holds thousands): the socket, a
 * timestamp, two flags and the tail of its message queue.
 */
export class ViberConnection {
  readonly viberId: string;
  readonly socket: WebSocket;
  readonly log: Logger;
  /** Last time any frame arrived (ms since the epoch); the presence sweep reads it. */
  lastSeenAt = Date.now();
  /** The daemon said `connected` and the outbox was flushed: new commands may go out at once. */
  ready = false;
  closed = false;
  #queue: Promise<void> = Promise.resolve();

  constructor(viberId: string, socket: WebSocket, log: Logger) {
    this.viberId = viberId;
    this.socket = socket;
    this.log = log;
  }

  /** Sends a message (or its ready-made JSON text); false when the socket is not open. */
  send(message: GatewayMessage | string): boolean {
    if (this.socket.readyState !== WebSocket.OPEN) return false;
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
    return true;
  }

  /**
   * Runs `work` after every earlier frame of this connection was handled: task events must reach
   * the store in the order the daemon sent them.
   */
  serialize(work: () => Promise<void>): void {
    this.#queue = this.#queue.then(work).catch((error: unknown) => {
      this.log.error({ err: error }, 'failed to handle a daemon message');
    });
  }

  /** Settles when every frame received so far was handled. */
  idle(): Promise<void> {
    return this.#queue;
  }

  close(code: number, reason: string): void {
    this.socket.close(code, truncateReason(reason));
  }
}

/** A close reason is limited to 123 bytes by the WebSocket protocol. */
export function truncateReason(reason: string): string {
  let text = reason;
  while (Buffer.byteLength(text) > 123) text = text.slice(0, -1);
  return text;
}
