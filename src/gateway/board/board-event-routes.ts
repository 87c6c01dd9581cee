import type { Hono } from 'hono';
import type { Logger } from '../../core/logger.ts';
import type { TopicBus } from '../bus/topic-bus.ts';
import type { GatewayEnv } from '../http/route-context.ts';
import { routes } from '../http/route-registrar.ts';
import { BoardEventStream } from './board-event-stream.ts';
import type { BoardEvents } from './board-events.ts';

const EVENT_STREAM_HEADERS: Record<string, string> = {
  'Content-Type': 'text/event-stream',
  'Cache-Control': 'no-cache',
  Connection: 'keep-alive',
  'X-Accel-Buffering': 'no',
};

export interface BoardEventStreamsDeps {
  bus: TopicBus;
  boardEvents: Pick<BoardEvents, 'activities'>;
  log: Logger;
}

/** The open event streams, so a closing gateway can end them. */
export class BoardEventStreams {
  readonly #streams = new Set<BoardEventStream>();
  readonly #deps: BoardEventStreamsDeps;

  constructor(deps: BoardEventStreamsDeps) {
    this.#deps = deps;
  }

  open(): BoardEventStream {
    const stream: BoardEventStream = new BoardEventStream({
      ...this.#deps,
      onEnd: () => this.#streams.delete(stream),
    });
    this.#streams.add(stream);
    return stream;
  }

  /** Open streams (`/metrics`). */
  get size(): number {
    return this.#streams.size;
  }

  closeAll(): void {
    for (const stream of [...this.#streams]) stream.close(true);
  }
}

/** `GET /api/events`: the board's push channel (schema: src/protocol/board-events.ts). */
export function boardEventRoutes(streams: BoardEventStreams): Hono<GatewayEnv> {
  return routes().stream('events.stream', () => {
    const stream = streams.open();
    return new Response(stream.stream, { status: 200, headers: EVENT_STREAM_HEADERS });
  }).app;
}
