import type { Logger } from '../../core/logger.ts';
import type { DocumentCommand, GatewayMessage, ProtocolExtension } from '../../protocol/index.ts';

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

/** The extensions of a daemon that speaks only the protocol document's frames. */
const NO_EXTENSIONS: readonly ProtocolExtension[] = Object.freeze([]);

/**
 * One daemon's WebSocket. Kept small on purpose (a gateway holds thousands): the socket, the
 * extensions it negotiated, a timestamp, two flags, the tail of its message queue and the task
 * events of its next group commit.
 */
export class ViberConnection {
  readonly viberId: string;
  readonly socket: DaemonSocket;
  readonly log: Logger;
  /**
   * What the daemon negotiated beyond the protocol document's frames (docs/architecture.md, "Wire
   * compatibility"): `seq` (it numbers its task events and takes `task:ack`) and `command-ack` (it
   * acknowledges commands by `commandId`). None for a daemon that authenticated its upgrade with
   * headers.
   */
  readonly extensions: readonly ProtocolExtension[];
  /** Last time any frame arrived (ms since the epoch); the presence sweep reads it. */
  lastSeenAt = Date.now();
  /** The daemon said `connected` and the outbox was flushed: new commands may go out at once. */
  ready = false;
  closed = false;
  #queue: Promise<void> = Promise.resolve();
  /**
   * Task events waiting for their group commit; undefined when no batch is open. Numbered ones,
   * or unnumbered ones for a daemon without `seq` (one connection has one kind).
   */
  #taskEvents: unknown[] | undefined;

  constructor(
    viberId: string,
    socket: DaemonSocket,
    log: Logger,
    extensions: readonly ProtocolExtension[] = NO_EXTENSIONS,
  ) {
    this.viberId = viberId;
    this.socket = socket;
    this.log = log;
    this.extensions = extensions;
  }

  /** The daemon numbers its task events (`seq`) and takes `task:ack`. */
  get numbersEvents(): boolean {
    return this.extensions.includes('seq');
  }

  /** The daemon acknowledges commands (`command-ack`): the outbox may send one again until it does. */
  get acknowledgesCommands(): boolean {
    return this.extensions.includes('command-ack');
  }

  get isOpen(): boolean {
    return this.socket.readyState === OPEN;
  }

  /**
   * Sends a message, or a command's ready-made outbox text; false when the socket is not open. The
   * outbox text carries a `commandId`, so it goes only to a daemon that acknowledges commands: a
   * daemon without `command-ack` gets a command only in the protocol document's shape, sent once by
   * the task router, and never the outbox text (the environment commands have no such shape).
   */
  send(message: GatewayMessage | DocumentCommand | string): boolean {
    if (this.socket.readyState !== OPEN) return false;
    if (typeof message === 'string' && !this.acknowledgesCommands) {
      this.log.warn(
        { type: commandType(message) },
        'command not sent: this daemon cannot acknowledge commands (no command-ack)',
      );
      return false;
    }
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
  enqueueTaskEvent<E>(event: E, commit: (events: E[]) => Promise<void>): void {
    const open = this.#taskEvents as E[] | undefined;
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

/** The `type` of a command's outbox text, for the log. */
function commandType(text: string): string | undefined {
  try {
    const type = (JSON.parse(text) as { type?: unknown } | null)?.type;
    return typeof type === 'string' ? type.slice(0, 100) : undefined;
  } catch {
    return undefined;
  }
}

/** A close reason is limited to 123 bytes by the WebSocket protocol. */
export function truncateReason(reason: string): string {
  let text = reason;
  while (Buffer.byteLength(text) > 123) text = text.slice(0, -1);
  return text;
}
