import { MAX_TERMINAL_OUTPUT_BYTES } from '../../protocol/index.ts';

/**
 * A pane's output on its way to the gateway, as bytes: what one read of tmux's stream carried for
 * the pane goes out at once, as one message (no timer, so an echo is never held back), cut into
 * messages of at most MAX_TERMINAL_OUTPUT_BYTES. No message ends inside a UTF-8 character: the
 * first bytes of a character whose rest has not arrived wait for it, so every message decodes on
 * its own.
 */
export class PaneOutput {
  readonly #send: (data: Buffer) => void;
  /** The start of a character whose other bytes are still to come (at most 3 bytes). */
  #tail: Buffer | undefined;

  constructor(send: (data: Buffer) => void) {
    this.#send = send;
  }

  push(bytes: Buffer): void {
    let data = this.#tail ? Buffer.concat([this.#tail, bytes]) : bytes;
    this.#tail = undefined;
    const complete = completeUtf8Length(data);
    if (complete < data.length) {
      this.#tail = Buffer.from(data.subarray(complete));
      data = data.subarray(0, complete);
    }
    for (let start = 0; start < data.length; ) {
      const end = characterBoundary(data, Math.min(data.length, start + MAX_TERMINAL_OUTPUT_BYTES), start);
      this.#send(data.subarray(start, end));
      start = end;
    }
  }

  /** Forgets a character begun and never finished (the pane is no longer watched). */
  drop(): void {
    this.#tail = undefined;
  }
}

/**
 * How many bytes of `data` end on a character boundary: all of them, unless the last bytes are the
 * start of a multi-byte character that is not complete yet. Bytes that are not UTF-8 at all are
 * never held back (the viewer shows them as U+FFFD, as a terminal would).
 */
export function completeUtf8Length(data: Uint8Array): number {
  const length = data.length;
  // A character has at most 4 bytes: an incomplete one starts within the last 3.
  for (let index = length - 1; index >= Math.max(0, length - 3); index -= 1) {
    const byte = data[index]!;
    if ((byte & 0xc0) === 0x80) continue;
    return index + utf8Length(byte) > length ? index : length;
  }
  return length;
}

/** `end`, or up to 3 bytes before it when it falls inside a character (never before `start + 1`). */
function characterBoundary(data: Uint8Array, end: number, start: number): number {
  let cut = end;
  while (cut < data.length && cut > start + 1 && end - cut < 3 && (data[cut]! & 0xc0) === 0x80) cut -= 1;
  return (data[cut]! & 0xc0) === 0x80 && cut < data.length ? end : cut;
}

/** Bytes in the character a lead byte starts (1 for a byte that starts none). */
function utf8Length(lead: number): number {
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  return 1;
}
