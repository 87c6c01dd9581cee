import { createParser } from 'eventsource-parser';
import type { z } from 'zod';
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

/**
 * An event's data as `schema` says it must be; anything else is a `bad_response` that no retry
 * mends (the stream holds it at the same place after a reconnect).
 */
export function parseEventData<T extends z.ZodType>(
  data: string,
  schema: T,
  route: string,
  what: string,
): z.output<T> {
  const bad = (problem: string) =>
    new GatewayClientError('bad_response', `${route}: an event is ${problem}: ${data.slice(0, 200)}`, {
      route,
      retryable: false,
    });
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    throw bad('not JSON');
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw bad(`not ${what}`);
  return parsed.data;
}
