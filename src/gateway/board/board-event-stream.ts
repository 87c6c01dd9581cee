import type { Logger } from '../../core/logger.ts';
import type { BoardEvent } from '../../protocol/index.ts';
import { BOARD_EVENTS, CHANGES } from '../bus/gateway-topics.ts';
import type { TopicBus } from '../bus/topic-bus.ts';
import { SseWriter } from '../http/sse-writer.ts';
import type { BoardEvents } from './board-events.ts';

export const EVENTS_HEARTBEAT_MS = 15_000;
/** Events queued for a client that does not read before it is cut off (it reconnects and refetches). */
export const MAX_QUEUED_EVENTS = 1000;

/**
 * One `/api/events` connection. It subscribes before it announces `events.ready`, so an event that
 * happens while the client refetches is not lost; ids count from 1 per connection; a heartbeat
 * comment keeps proxies from closing an idle stream. A client too slow to keep up is disconnected
 * rather than buffered without bound: its reconnect refetches the state.
 */
export class BoardEventStream {
  readonly stream: ReadableStream<Uint8Array>;
  #sse!: SseWriter;
  #nextId = 1;
  #unsubscribe: (() => void) | undefined;
  readonly #onEnd: () => void;

  constructor(options: {
    bus: TopicBus;
    boardEvents: Pick<BoardEvents, 'activities'>;
    log: Logger;
    onEnd: () => void;
  }) {
    const heartbeatMs = EVENTS_HEARTBEAT_MS;
    this.#onEnd = options.onEnd;
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#sse = new SseWriter(controller, {
            comment: 'heartbeat',
            everyMs: heartbeatMs,
            onClose: () => {
              this.#unsubscribe?.();
              this.#onEnd();
            },
          });
          const stopEvents = options.bus.subscribe(BOARD_EVENTS, (event) => this.#send(event));
          const ready = () =>
            options.boardEvents
              .activities()
              .then((activities) => this.#send({ type: 'events.ready', activities, heartbeatMs }))
              .catch((error: unknown) => {
                options.log.error({ err: error }, 'board events: cannot read task activities; closing');
                this.close(true);
              });
          // A networked bus that was cut off may have missed other gateways' changes: a new
          // `events.ready` makes the client refetch, as every one does.
          const stopResync = options.bus.subscribe(CHANGES, (change) => {
            if (change.type === 'bus.resynced') void ready();
          });
          this.#unsubscribe = () => {
            stopEvents();
            stopResync();
          };
          void ready();
        },
        cancel: () => this.close(false),
      },
      new CountQueuingStrategy({ highWaterMark: MAX_QUEUED_EVENTS }),
    );
  }

  #send(event: BoardEvent): void {
    if (this.#sse.closed) return;
    if (this.#sse.desiredSize <= 0) {
      this.close(true);
      return;
    }
    this.#sse.write(`id: ${this.#nextId++}\ndata: ${JSON.stringify(event)}\n\n`);
  }

  close(end: boolean): void {
    this.#sse.close(end);
  }
}
