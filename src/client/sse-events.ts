import { createParser } from 'eventsource-parser';
import { GatewayClientError, unreachable } from './gateway-client-error.ts';

/** One server-sent event: its `id:` (absent when the server sent none) and its data. */
export interface SseMessage {
  id: string | undefined;
  data: string;
}

export interface ReadSseOptions {
  route: string;
  /**
   * How long the stream may stay silent (no event, no keepalive comment) before it counts as
   * dropped. A half-open TCP connection (a laptop lid closed, a NAT entry expired) reports no
   * error at all; the gateway's keepalive comments make silence a reliable sign. Read before each
   * wait, so a follower can tighten it once the server announced its heartbeat.
   */
  idleMs: () => number;
}

/**
 * The events of an SSE response body, in order, parsed by eventsource-parser (browser-safe).
 * Ends when the server ends the response; throws a retryable `unreachable` when the connection
 * breaks or goes silent. Returning early (a `break` in the caller) cancels the body.
 */
export async function* readSse(response: Response, options: ReadSseOptions): AsyncGenerator<SseMessage> {
  if (!response.body) throw new GatewayClientError('bad_response', 'the event stream has no body');
  const queue: SseMessage[] = [];
  const parser = createParser({
    onEvent: (event) => queue.push({ id: event.id, data: event.data }),
  });
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  try {
    for (;;) {
      const result = await readWithin(reader, options);
      if (result.done) return;
      parser.feed(result.value);
      while (queue.length > 0) yield queue.shift()!;
    }
  } finally {
    // Cancelling ends the HTTP response too; a body that already ended ignores it.
    reader.cancel().catch(() => undefined);
  }
}

async function readWithin(
  reader: ReadableStreamDefaultReader<string>,
  options: ReadSseOptions,
): Promise<ReadableStreamReadResult<string>> {
  const idleMs = options.idleMs();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const silence = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new GatewayClientError('unreachable', `the event stream was silent for ${idleMs} ms`, {
            route: options.route,
          }),
        ),
      idleMs,
    );
  });
  try {
    return await Promise.race([reader.read(), silence]);
  } catch (error) {
    throw unreachable(options.route, error, 'the event stream broke off');
  } finally {
    clearTimeout(timer);
  }
}
