import { type ClientRequest, request } from 'node:http';
import { performance } from 'node:perf_hooks';

/**
 * A raw SSE reader as cheap for the bare relay as for the gateway: it counts events by their
 * blank-line ends and, when asked, reads the send time stamped at the start of each text delta
 * (`"delta":"<performance.now()>|...`). Sender and readers share this process's clock.
 */
export class SseReader {
  events = 0;
  onLatency: ((ms: number) => void) | undefined;
  readonly #request: ClientRequest;
  #tail = '';

  private constructor(requestHandle: ClientRequest) {
    this.#request = requestHandle;
  }

  /** Opens the stream; resolves once the response's headers arrived. */
  static open(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
    return new Promise((resolve, reject) => {
      const req = request(url, { headers: { Accept: 'text/event-stream', ...headers } });
      const reader = new SseReader(req);
      req.once('error', reject);
      req.once('response', (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`GET ${url}: ${res.statusCode}`));
          res.resume();
          return;
        }
        res.setEncoding('utf8');
        res.on('data', (text: string) => reader.#read(text));
        res.on('error', () => {});
        resolve(reader);
      });
      req.end();
    });
  }

  #read(text: string): void {
    const now = performance.now();
    const buffer = this.#tail + text;
    let end = buffer.indexOf('\n\n');
    let start = 0;
    while (end !== -1) {
      this.events++;
      if (this.onLatency) {
        const stamp = buffer.indexOf('"delta":"', start);
        if (stamp !== -1 && stamp < end) {
          const from = stamp + 9;
          this.onLatency(now - Number(buffer.slice(from, buffer.indexOf('|', from))));
        }
      }
      start = end + 2;
      end = buffer.indexOf('\n\n', start);
    }
    this.#tail = buffer.slice(start);
  }

  close(): void {
    this.#request.destroy();
  }
}
