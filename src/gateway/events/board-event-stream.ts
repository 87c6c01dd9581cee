import type { Logger } from '../../core/logger.ts';
import type { BoardEvent } from '../../protocol/index.ts';
import type { BoardEventPublisher } from './board-event-publisher.ts';

export const EVENTS_HEARTBEAT_MS = 15_000;
/** Events queued for a client that does not read before it is cut off (it reconnects and refetches). */
export const MAX_QUEUED_EVENTS = 1000;
const encoder = new TextEncoder();

/**
 * One `/api/events` connection. It subscribes before it announces `events.ready`, so an event that
 * happens while the client refetches is not lost; ids count from 1 per connection; a heartbeat
 * comment keeps proxies from closing an idle stream. A client too slow to keep up is disconnected
 * rather than buffered without bound: its reconnect refetches the state.
 */
export class BoardEventStream {
  readonly stream: ReadableStream<Uint8Array>;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #nextId = 1;
  #closed = false;
  #unsubscribe: (() => void) | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  readonly #onEnd: () => void;

  constructor(options: {
    publisher: BoardEventPublisher;
    log: Logger;
    heartbeatMs?: number;
    onEnd: () => void;
  }) {
    const heartbeatMs = options.heartbeatMs ?? EVENTS_HEARTBEAT_MS;
    this.#onEnd = options.onEnd;
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#controller = controller;
          this.#unsubscribe = options.publisher.hub.subscribe((event) => this.#send(event));
          this.#heartbeat = setInterval(() => this.#write(': heartbeat\n\n'), heartbeatMs);
          this.#heartbeat.unref();
          options.publisher
            .activities()
            .then((activities) => this.#send({ type: 'events.ready', activities, heartbeatMs }))
            .catch((error: unknown) => {
              options.log.error({ err: error }, 'board events: cannot read task activities; closing');
              this.close(true);
            });
        },
        cancel: () => this.close(false),
      },
      new CountQueuingStrategy({ highWaterMark: MAX_QUEUED_EVENTS }),
    );
  }

  #send(event: BoardEvent): void {
    if (this.#closed) return;
    if ((this.#controller.desiredSize ?? 0) <= 0) {
      this.close(true);
      return;
    }
    this.#write(`id: ${this.#nextId++}\ndata: ${JSON.stringify(event)}\n\n`);
  }

  #write(text: string): void {
    if (this.#closed) return;
    try {
      this.#controller.enqueue(encoder.encode(text));
    } catch {
      this.close(false);
    }
  }

  close(end: boolean): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe?.();
    clearInterval(this.#heartbeat);
    if (end) {
      try {
        this.#controller.close();
      } catch {
        // already closed by the client
      }
    }
    this.#onEnd();
  }
}
