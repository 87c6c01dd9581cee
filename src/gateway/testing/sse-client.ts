import { waitUntil } from './wait-until.ts';

export interface SseEvent {
  id?: string;
  data: string;
}

/** A minimal SSE reader for tests: records events (and comments) as they arrive. */
export class SseClient {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  status = 0;
  headers: Headers | undefined;
  ended = false;
  readonly #abort = new AbortController();
  readonly done: Promise<void>;

  constructor(url: string, headers: Record<string, string>) {
    this.done = this.#run(url, headers).catch(() => {
      this.ended = true;
    });
  }

  async #run(url: string, headers: Record<string, string>): Promise<void> {
    const response = await fetch(url, { headers, signal: this.#abort.signal });
    this.status = response.status;
    this.headers = response.headers;
    if (!response.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const bytes of response.body) {
      buffer += decoder.decode(bytes, { stream: true });
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        this.#record(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    }
    this.ended = true;
  }

  #record(block: string): void {
    const event: SseEvent = { data: '' };
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
      else if (line.startsWith('id: ')) event.id = line.slice(4);
      else if (line.startsWith('data: ')) data.push(line.slice(6));
    }
    if (data.length === 0) return;
    event.data = data.join('\n');
    this.events.push(event);
  }

  async waitForEvents(count: number, timeoutMs = 10_000): Promise<void> {
    await waitUntil(() => this.events.length >= count, { timeoutMs, what: `${count} SSE events` });
  }

  async waitForEnd(timeoutMs = 10_000): Promise<void> {
    await waitUntil(() => this.ended, { timeoutMs, what: 'the SSE stream to end' });
  }

  abort(): void {
    this.#abort.abort();
  }
}
