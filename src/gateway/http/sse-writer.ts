const encoder = new TextEncoder();

/**
 * The writing end of one server-sent events response: encoded writes, a periodic comment that
 * keeps proxies from closing an idle stream, and one close that runs `onClose` exactly once.
 */
export class SseWriter {
  readonly #controller: ReadableStreamDefaultController<Uint8Array>;
  readonly #timer: NodeJS.Timeout;
  readonly #onClose: () => void;
  #closed = false;

  constructor(
    controller: ReadableStreamDefaultController<Uint8Array>,
    options: { comment: string; everyMs: number; onClose: () => void },
  ) {
    this.#controller = controller;
    this.#onClose = options.onClose;
    this.#timer = setInterval(() => this.write(`: ${options.comment}\n\n`), options.everyMs);
    this.#timer.unref();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Room left in the response's queue; zero or less means the client is not reading. */
  get desiredSize(): number {
    return this.#controller.desiredSize ?? 0;
  }

  write(text: string): void {
    if (this.#closed) return;
    try {
      this.#controller.enqueue(encoder.encode(text));
    } catch {
      this.close(false);
    }
  }

  /** Stops the stream; `end` closes the HTTP response (a cancelled one is already gone). */
  close(end: boolean): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    if (end) {
      try {
        this.#controller.close();
      } catch {
        // already closed by the client
      }
    }
    this.#onClose();
  }
}
