import type { Logger } from '../../core/logger.ts';
import type { DocumentCommand, GatewayMessage, ProtocolExtension } from '../../protocol/index.ts';

/** Most task events one group commit takes; a longer burst is committed in several. */
export const MAX_TASK_EVENT_BATCH = 256;

/**
 * How long a stored event's `task:ack` may wait, so that the acks of a burst go out as one per task
 * instead of one per group commit (each is a write to the socket). The daemon only frees its
 * outbox with them: a later ack costs nothing but outbox rows kept a little longer.
 */
export const ACK_DELAY_MS = 10;

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
 * extensions it negotiated, a timestamp, a few flags, the tail of its message queue and the task
 * events of its next group commit.
 */
export class ViberConnection {
  readonly viberId: string;
  /** The node device the daemon proved in the handshake (its sockets close with the device). */
  readonly deviceId: string | undefined;
  readonly socket: DaemonSocket;
  readonly #baseLog: Logger;
  #log: Logger | undefined;
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
  /** The seq of the last outbox command sent on this connection (commands queued on other gateways). */
  sentCommandSeq = 0;
  /** A pass over the outbox runs (#deliverNew); another was asked for meanwhile. */
  delivering = false;
  deliverAgain = false;
  closed = false;
  #queue: Promise<void> = Promise.resolve();
  /**
   * Task events waiting for their group commit; undefined when no batch is open. Numbered ones,
   * or unnumbered ones for a daemon without `seq` (one connection has one kind).
   */
  #taskEvents: unknown[] | undefined;
  /** What stores the open batch (one connection has one kind of task event). */
  #commit: ((events: unknown[], arrivedAt: number) => Promise<void>) | undefined;
  /** When the open batch's first event arrived (performance.now()): the relay latency's start. */
  #batchArrivedAt = 0;
  #sealQueued = false;
  /** Highest stored seq per task not yet acknowledged, sent when `#ackTimer` fires. */
  #acks: Map<string, number> | undefined;
  #ackTimer: NodeJS.Timeout | undefined;

  /** `log` is the gateway's logger: the connection's own (with its `viberId`) is made when first used. */
  constructor(
    viberId: string,
    socket: DaemonSocket,
    log: Logger,
    extensions: readonly ProtocolExtension[] = NO_EXTENSIONS,
    deviceId?: string,
  ) {
    this.viberId = viberId;
    this.deviceId = deviceId;
    this.socket = socket;
    this.#baseLog = log;
    this.extensions = extensions;
  }

  /** The connection's logger: most connections never log past their first lines, so it is lazy. */
  get log(): Logger {
    this.#log ??= this.#baseLog.child({ viberId: this.viberId });
    return this.#log;
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

  /** Acknowledges a task's events up to `seq` (cumulative) within ACK_DELAY_MS. */
  acknowledge(taskId: string, seq: number): void {
    this.#acks ??= new Map();
    this.#acks.set(taskId, Math.max(seq, this.#acks.get(taskId) ?? 0));
    this.#ackTimer ??= setTimeout(() => this.#sendAcks(), ACK_DELAY_MS);
  }

  #sendAcks(): void {
    const acks = this.#acks;
    this.#acks = undefined;
    this.#ackTimer = undefined;
    for (const [taskId, seq] of acks ?? []) this.send({ type: 'task:ack', taskId, seq });
  }

  /**
   * Runs `work` after every earlier frame of this connection was handled: task events must reach
   * the store in the order the daemon sent them.
   */
  serialize(work: () => Promise<void>): void {
    // Task events that arrived before this message are committed before it; later ones after it.
    this.#sealTaskEvents();
    this.#chain(work);
  }

  /**
   * Queues a task event for a group commit: the events that arrive in one turn of the event loop
   * (every frame of every socket read in its I/O phase) go to one `commit` call, in order, sealed
   * when the loop reaches its check phase (`setImmediate`), when a message that is not a task event
   * arrives, or at MAX_TASK_EVENT_BATCH. No timer: an idle connection commits as soon as the read
   * that brought the event is done, so latency stays that of a single event.
   */
  enqueueTaskEvent<E>(event: E, commit: (events: E[], arrivedAt: number) => Promise<void>): void {
    const open = this.#taskEvents as E[] | undefined;
    if (open && open.length < MAX_TASK_EVENT_BATCH) {
      open.push(event);
      return;
    }
    this.#sealTaskEvents();
    this.#taskEvents = [event];
    this.#batchArrivedAt = performance.now();
    this.#commit = commit as (events: unknown[], arrivedAt: number) => Promise<void>;
    if (this.#sealQueued) return;
    this.#sealQueued = true;
    setImmediate(() => {
      this.#sealQueued = false;
      this.#sealTaskEvents();
    });
  }

  /** Queues the open batch's commit behind everything received before it. */
  #sealTaskEvents(): void {
    const batch = this.#taskEvents;
    const commit = this.#commit;
    const arrivedAt = this.#batchArrivedAt;
    if (!batch || !commit) return;
    this.#taskEvents = undefined;
    this.#chain(() => commit(batch, arrivedAt));
  }

  /**
   * A frame that could not be handled (its store write failed: PostgreSQL unreachable, a full
   * disk) is not acknowledged, and neither is anything after it: the connection closes with 1011
   * so the daemon reconnects, with backoff, and sends again everything it still holds. Going on
   * would leave a gap the daemon never fills, as it resends only after a reconnect.
   */
  #chain(work: () => Promise<void>): void {
    this.#queue = this.#queue.then(work).catch((error: unknown) => {
      this.log.error(
        { err: error },
        'failed to handle a daemon message; closing so the daemon sends it again',
      );
      if (!this.closed)
        this.close(1011, 'the gateway could not store what the viber sent: reconnect and resend');
    });
  }

  /** Settles when every frame received so far was handled. */
  idle(): Promise<void> {
    this.#sealTaskEvents();
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
