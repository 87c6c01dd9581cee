import {
  describeZodError,
  exceedsJsonDepth,
  LIMITS,
  type UIChunk,
  UIChunkSchema,
} from '../../protocol/index.ts';

/** One event of a raw SSE stream: a UI message chunk, or why the gateway refused the event. */
export type SseParsed = { chunk: UIChunk } | { refused: string };

/**
 * Longest SSE event (characters of its data) the gateway holds while it waits for the event's end:
 * the size of a whole frame, which an event cut across frames may not outgrow.
 */
export const MAX_SSE_EVENT_CHARS = LIMITS.maxFrameBytes;

const LINE_END = /\r\n|\r|\n/g;

/**
 * Parses the raw AI SDK SSE text a daemon speaking the protocol document sends in
 * `task:stream-chunk` (`data: {...}\n\n`), as the SSE standard reads an event stream: lines end in
 * LF, CRLF or CR (also when a CRLF is cut between two chunks); `data:` lines make up an event,
 * which a blank line ends; comments and other fields (`event:`, `id:`, `retry:`) are ignored; the
 * `[DONE]` sentinel is not an event. A chunk may hold several events, or part of one: the rest of
 * the event waits for the next chunk. Each event's data must be the JSON of a UI message chunk.
 * An event longer than `maxChars` is not held: it is refused once, and skipped to its end.
 */
export class SseTextParser {
  readonly #maxChars: number;
  /** The current line, not ended yet. */
  #line = '';
  /** Part of the current line was dropped (its event is being skipped): it is not a blank line. */
  #lineDropped = false;
  /** The data lines of the current event. */
  #data: string[] = [];
  /** Characters held for the current event: its data lines and their separators. */
  #held = 0;
  /** The current event outgrew the limit: skip to the blank line that ends it. */
  #skipping = false;
  /** The last text ended in CR: an LF at the start of the next one belongs to that line end. */
  #afterCR = false;
  #started = false;

  constructor(maxChars: number = MAX_SSE_EVENT_CHARS) {
    this.#maxChars = maxChars;
  }

  /** Whether part of an event is held, waiting for the rest. */
  get pending(): boolean {
    return this.#line.length > 0 || this.#lineDropped || this.#data.length > 0 || this.#skipping;
  }

  push(text: string): SseParsed[] {
    const out: SseParsed[] = [];
    let from = 0;
    if (!this.#started && text.length > 0) {
      this.#started = true;
      if (text.charCodeAt(0) === 0xfeff) from = 1; // a byte order mark opens a stream, not a line
    }
    if (this.#afterCR && text.charCodeAt(from) === 10) from += 1;
    if (text.length > 0) this.#afterCR = false;
    LINE_END.lastIndex = from;
    for (let match = LINE_END.exec(text); match; match = LINE_END.exec(text)) {
      this.#append(text.slice(from, match.index), out);
      this.#endLine(out);
      from = match.index + match[0].length;
      if (match[0] === '\r' && from === text.length) this.#afterCR = true;
    }
    this.#append(text.slice(from), out);
    return out;
  }

  #append(part: string, out: SseParsed[]): void {
    if (part.length === 0) return;
    if (this.#skipping) {
      this.#lineDropped = true;
      return;
    }
    if (this.#held + this.#line.length + part.length > this.#maxChars) {
      out.push({ refused: `an SSE event longer than ${this.#maxChars} characters was dropped` });
      this.#skipping = true;
      this.#line = '';
      this.#lineDropped = true;
      this.#data = [];
      this.#held = 0;
      return;
    }
    this.#line += part;
  }

  #endLine(out: SseParsed[]): void {
    const line = this.#line;
    const blank = line.length === 0 && !this.#lineDropped;
    this.#line = '';
    this.#lineDropped = false;
    if (blank) {
      const data = this.#data;
      const skipped = this.#skipping;
      this.#data = [];
      this.#held = 0;
      this.#skipping = false;
      if (!skipped && data.length > 0) this.#dispatch(data.join('\n'), out);
      return;
    }
    if (this.#skipping || line.startsWith(':')) return;
    const colon = line.indexOf(':');
    if ((colon === -1 ? line : line.slice(0, colon)) !== 'data') return;
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    this.#data.push(value);
    this.#held += value.length + 1;
  }

  #dispatch(data: string, out: SseParsed[]): void {
    if (data === '[DONE]') return;
    let value: unknown;
    try {
      value = JSON.parse(data);
    } catch {
      out.push({ refused: 'an SSE event whose data is not JSON was dropped' });
      return;
    }
    if (exceedsJsonDepth(value, LIMITS.maxChunkDepth)) {
      out.push({ refused: `an SSE event nested deeper than ${LIMITS.maxChunkDepth} levels was dropped` });
      return;
    }
    const parsed = UIChunkSchema.safeParse(value);
    if (!parsed.success) {
      out.push({
        refused: `an SSE event that is not a UI message chunk was dropped: ${describeZodError(parsed.error)}`,
      });
      return;
    }
    out.push({ chunk: parsed.data });
  }
}
