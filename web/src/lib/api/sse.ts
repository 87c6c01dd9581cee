import { createParser, type EventSourceMessage } from 'eventsource-parser';

export interface SseHandlers {
  onEvent(event: EventSourceMessage): void;
  /** Any bytes arrived (events or heartbeat comments): the connection is alive. */
  onActivity?(): void;
}

/** Reads a `text/event-stream` response body to its end, calling back per event. */
export async function readEventStream(response: Response, handlers: SseHandlers): Promise<void> {
  if (!response.body) return;
  const parser = createParser({
    onEvent: (event) => handlers.onEvent(event),
    onComment: () => handlers.onActivity?.(),
  });
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      handlers.onActivity?.();
      parser.feed(value);
    }
  } finally {
    reader.releaseLock();
  }
}

/** Jittered exponential backoff for reconnects: 0.5 s, 1 s, 2 s, ... capped at 10 s. */
export function backoffMs(attempt: number): number {
  const base = Math.min(10_000, 500 * 2 ** Math.min(attempt, 5));
  return Math.round(base * (0.75 + Math.random() * 0.5));
}

/** Resolves after `ms`, or early when the signal aborts, or when the browser comes back online. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      window.removeEventListener('online', done);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    window.addEventListener('online', done);
    signal?.addEventListener('abort', done);
  });
}
