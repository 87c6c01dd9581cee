/**
 * A minimal Server-Sent Events parser that keeps what the AI SDK's parser throws away: each event's
 * `id:` (our per-task seq). It sees the same bytes as the SDK's parser, so the n-th data event here
 * is the n-th chunk there.
 */

export interface SseEvent {
  id?: string;
  event?: string;
  data: string;
}

export class SseEventParser {
  private buffer = '';
  private readonly decoder = new TextDecoder();
  private readonly onEvent: (event: SseEvent) => void;

  constructor(onEvent: (event: SseEvent) => void) {
    this.onEvent = onEvent;
  }

  push(bytes: Uint8Array): void {
    this.buffer += this.decoder.decode(bytes, { stream: true });
    for (;;) {
      const match = /\r\n\r\n|\n\n|\r\r/.exec(this.buffer);
      if (!match) return;
      const block = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      this.dispatch(block);
    }
  }

  private dispatch(block: string): void {
    const event: SseEvent = { data: '' };
    const data: string[] = [];
    for (const line of block.split(/\r\n|\n|\r/)) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data') data.push(value);
      else if (field === 'id') event.id = value;
      else if (field === 'event') event.event = value;
    }
    // Per the SSE specification, a block without data dispatches nothing.
    if (data.length === 0) return;
    event.data = data.join('\n');
    this.onEvent(event);
  }
}
