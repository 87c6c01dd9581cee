import { Hono } from 'hono';
import type { Logger } from '../../core/logger.ts';
import type { GatewayEnv } from '../routes/route-deps.ts';
import type { BoardEventPublisher } from './board-event-publisher.ts';
import { BoardEventStream } from './board-event-stream.ts';

const EVENT_STREAM_HEADERS: Record<string, string> = {
  'Content-Type': 'text/event-stream',
  'Cache-Control': 'no-cache',
  Connection: 'keep-alive',
  'X-Accel-Buffering': 'no',
};

/** The open event streams, so a closing gateway can end them. */
export class BoardEventStreams {
  readonly #streams = new Set<BoardEventStream>();

  open(publisher: BoardEventPublisher, log: Logger, heartbeatMs?: number): BoardEventStream {
    const stream: BoardEventStream = new BoardEventStream({
      publisher,
      log,
      ...(heartbeatMs ? { heartbeatMs } : {}),
      onEnd: () => this.#streams.delete(stream),
    });
    this.#streams.add(stream);
    return stream;
  }

  closeAll(): void {
    for (const stream of [...this.#streams]) stream.close(true);
  }
}

/** `GET /api/events`: the board's push channel (schema: src/protocol/board-events.ts). */
export function eventsRoutes(publisher: BoardEventPublisher, streams: BoardEventStreams, log: Logger) {
  return new Hono<GatewayEnv>().get('/events', () => {
    const stream = streams.open(publisher, log);
    return new Response(stream.stream, { status: 200, headers: EVENT_STREAM_HEADERS });
  });
}
