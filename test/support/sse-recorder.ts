import { readSse, type SseMessage } from '../../src/client/index.ts';
import { waitFor } from './wait.ts';

/** Longer than any test: the recorder watches what the server does, it never gives up on silence. */
const NEVER_IDLE_MS = 10 * 60_000;

/**
 * Records every event of one SSE response as it arrives (parsed by the client's own `readSse`),
 * for tests that check the wire itself: ids, order, where a stream ends. Followers that reconnect
 * and skip what they saw are the client's (`followTaskStream`, `followBoardEvents`).
 */
export class SseRecorder {
  readonly events: SseMessage[] = [];
  status = 0;
  headers: Headers | undefined;
  /** The server ended the response, or the connection failed. */
  ended = false;
  readonly done: Promise<void>;
  readonly #abort = new AbortController();

  constructor(url: string, headers: Record<string, string>) {
    this.done = this.#run(url, headers)
      .catch(() => undefined)
      .finally(() => {
        this.ended = true;
      });
  }

  async #run(url: string, headers: Record<string, string>): Promise<void> {
    const response = await fetch(url, { headers, signal: this.#abort.signal });
    this.status = response.status;
    this.headers = response.headers;
    if (!response.body) return;
    for await (const event of readSse(response, { route: url, idleMs: () => NEVER_IDLE_MS })) {
      this.events.push(event);
    }
  }

  async waitForEvents(count: number, timeoutMs = 15_000): Promise<void> {
    await waitFor(() => this.events.length >= count, { timeoutMs, description: `${count} SSE events` });
  }

  async waitForEnd(timeoutMs = 15_000): Promise<void> {
    await waitFor(() => this.ended, { timeoutMs, description: 'the SSE stream to end' });
  }

  abort(): void {
    this.#abort.abort();
  }
}
