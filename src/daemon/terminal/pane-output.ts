import { StringDecoder } from 'node:string_decoder';

/** Characters per terminal:output message: well inside the frame limit even when JSON-escaped. */
export const MAX_OUTPUT_CHARS = 64 * 1024;

/**
 * A pane's output on its way to the gateway: bytes are decoded as UTF-8 without splitting a
 * character, everything that arrives while the event loop is busy is coalesced into one message,
 * and a message never exceeds MAX_OUTPUT_CHARS.
 */
export class PaneOutput {
  readonly #decoder = new StringDecoder('utf8');
  readonly #send: (data: string) => void;
  #pending = '';
  #scheduled = false;

  constructor(send: (data: string) => void) {
    this.#send = send;
  }

  get pendingChars(): number {
    return this.#pending.length;
  }

  push(bytes: Buffer): void {
    this.#pending += this.#decoder.write(bytes);
    if (this.#pending.length >= MAX_OUTPUT_CHARS) this.flush();
    else if (!this.#scheduled && this.#pending.length > 0) {
      this.#scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Sends what is pending now (before a screen, so the order on the wire stays tmux's). */
  flush(): void {
    this.#scheduled = false;
    while (this.#pending.length > 0) {
      let end = Math.min(this.#pending.length, MAX_OUTPUT_CHARS);
      // Never split a surrogate pair across two messages.
      if (end < this.#pending.length && isHighSurrogate(this.#pending.charCodeAt(end - 1))) end -= 1;
      const data = this.#pending.slice(0, end);
      this.#pending = this.#pending.slice(end);
      this.#send(data);
    }
  }

  /** Forgets what is pending (the viewers will get a fresh screen instead). */
  drop(): void {
    this.#pending = '';
  }
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
