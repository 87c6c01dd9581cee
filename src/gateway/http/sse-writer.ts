const encoder = new TextEncoder();

/**
 * The writing end of one server-sent events response: writes made in one turn of work (the events
 * of one group commit, say) go out as one encoded chunk at the end of it, so a burst costs one
 * write per commit instead of one per event; a periodic comment keeps proxies from closing an idle
 * stream; one close runs `onClose` exactly once, after what was written has been handed over.
 */
export class SseWriter {
  readonly #controller: ReadableStreamDefaultController<Uint8Array>;
  readonly #timer: NodeJS.Timeout;
  readonly #onClose: () => void;
  #pending = '';
  #flushQueued = false;
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
    this.#pending += text;
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    queueMicrotask(() => this.#flush());
  }

  #flush(): void {
    this.#flushQueued = false;
    if (this.#closed || this.#pending === '') return;
    const text = this.#pending;
    this.#pending = '';
    try {
      this.#controller.enqueue(encoder.encode(text));
    } catch {
      this.close(false);
    }
  }

  /** Stops the stream; `end` closes the HTTP response (a cancelled one is already gone). */
  close(end: boolean): void {
    if (this.#closed) return;
    if (end) this.#flush();
    this.#closed = true;
    this.#pending = '';
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
