import type { Logger } from '../../core/logger.ts';
import type { GatewayMessage, TaskEvent } from '../../protocol/index.ts';

/** Most task events one group commit takes; a longer burst is committed in several. */
export const MAX_TASK_EVENT_BATCH = 256;

/** WebSocket.OPEN, as every WebSocket implementation numbers it. */
const OPEN = 1;

/** What a connection needs of its socket: the socket server's `ws` WebSocket, or a test's double. */
export interface DaemonSocket {
  readonly readyState: number;
  send(text: string): void;
  close(code: number, reason: string): void;
  terminate(): void;
}

/**
 * One daemon's WebSocket. Kept small on purpose (a gateway holds thousands): the socket, a
 * timestamp, two flags, the tail of its message queue and the task events of its next group commit.
 */
export class ViberConnection {
  readonly viberId: string;
  readonly socket: DaemonSocket;
  readonly log: Logger;
  /** Last time any frame arrived (ms since the epoch); the presence sweep reads it. */
  lastSeenAt = Date.now();
  /** The daemon said `connected` and the outbox was flushed: new commands may go out at once. */
  ready = false;
  closed = false;
  #queue: Promise<void> = Promise.resolve();
  /** Task events waiting for their group commit; undefined when no batch is open. */
  #taskEvents: TaskEvent[] | undefined;

  constructor(viberId: string, socket: DaemonSocket, log: Logger) {
    this.viberId = viberId;
    this.socket = socket;
    this.log = log;
  }

  /** Sends a message (or its ready-made JSON text); false when the socket is not open. */
  send(message: GatewayMessage | string): boolean {
    if (this.socket.readyState !== OPEN) return false;
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
    return true;
  }

  /**
   * Runs `work` after every earlier frame of this connection was handled: task events must reach
   * the store in the order the daemon sent them.
   */
  serialize(work: () => Promise<void>): void {
    // Task events that arrive after this message go in a later batch, after it.
    this.#taskEvents = undefined;
    this.#chain(work);
  }

  /**
   * Queues a task event for a group commit: the events that arrive before their batch's turn in
   * the queue comes (the rest of the frames of one socket read, or everything that arrives while
   * an earlier commit is being handled) are passed to one `commit` call, in order. No timer: an
   * idle connection commits at the next microtask, so latency stays that of a single event.
   */
  enqueueTaskEvent(event: TaskEvent, commit: (events: TaskEvent[]) => Promise<void>): void {
    const open = this.#taskEvents;
    if (open && open.length < MAX_TASK_EVENT_BATCH) {
      open.push(event);
      return;
    }
    const batch = [event];
    this.#taskEvents = batch;
    this.#chain(() => {
      // Sealed from here: a later event opens the next batch.
      if (this.#taskEvents === batch) this.#taskEvents = undefined;
      return commit(batch);
    });
  }

  #chain(work: () => Promise<void>): void {
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
