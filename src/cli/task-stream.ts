import { EventSourceParserStream } from 'eventsource-parser/stream';
import type { UIChunk } from '../protocol/index.ts';
import { CliError } from './cli-error.ts';
import type { GatewayClient } from './gateway-client.ts';

export interface FollowOptions {
  /** Resume after this seq (exclusive); undefined replays from the start. */
  after?: number;
  signal?: AbortSignal;
  onChunk(chunk: UIChunk, seq: number | undefined): void;
  /** Told when the connection dropped and the client is about to resume. */
  onReconnect?(attempt: number, lastSeq: number | undefined): void;
}

/**
 * Follows a task's SSE stream to its end, resuming with Last-Event-ID after any drop, so a
 * gateway restart mid-task shows every chunk exactly once.
 */
export async function followTaskStream(
  client: GatewayClient,
  taskId: string,
  options: FollowOptions,
): Promise<void> {
  let lastSeq = options.after;
  for (let attempt = 0; ; attempt++) {
    if (options.signal?.aborted) return;
    try {
      const done = await readOnce(client, taskId, lastSeq, options, (seq) => {
        lastSeq = seq;
      });
      if (done) return;
    } catch (error) {
      if (options.signal?.aborted) return;
      if (error instanceof CliError && !error.message.startsWith('cannot reach')) throw error;
    }
    options.onReconnect?.(attempt + 1, lastSeq);
    await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 250 * 2 ** Math.min(attempt, 5))));
  }
}

/** Reads one SSE connection; true when the stream ended with [DONE]. */
async function readOnce(
  client: GatewayClient,
  taskId: string,
  after: number | undefined,
  options: FollowOptions,
  advance: (seq: number) => void,
): Promise<boolean> {
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (after !== undefined) headers['last-event-id'] = String(after);
  const response = await client.fetch(`/api/tasks/${encodeURIComponent(taskId)}/stream`, {
    headers,
    signal: options.signal,
  });
  if (!response.ok || !response.body) {
    const text = await response.text();
    throw new CliError(`stream of ${taskId} failed with ${response.status}: ${text.slice(0, 300)}`);
  }
  const events = response.body
    .pipeThrough(new TextDecoderStream())
    .pipeThrough(new EventSourceParserStream());
  for await (const event of events) {
    if (event.data === '[DONE]') return true;
    const chunk = JSON.parse(event.data) as UIChunk;
    const seq = event.id ? Number(event.id) : undefined;
    options.onChunk(chunk, seq);
    if (seq !== undefined && Number.isFinite(seq)) advance(seq);
  }
  return false;
}
