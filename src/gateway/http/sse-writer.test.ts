import { describe, expect, it } from 'vitest';
import { SseWriter } from './sse-writer.ts';

function writer() {
  let sse!: SseWriter;
  let closed = 0;
  const stream = new ReadableStream<Uint8Array>({
    start: (controller) => {
      sse = new SseWriter(controller, { comment: 'keepalive', everyMs: 60_000, onClose: () => closed++ });
    },
  });
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  const read = async () => {
    const { value, done } = await reader.read();
    return done ? null : decoder.decode(value);
  };
  return { sse, read, closes: () => closed };
}

describe('SseWriter', () => {
  it('hands the events written in one turn of work to the response as one chunk', async () => {
    const { sse, read } = writer();
    sse.write('id: 1\ndata: a\n\n');
    sse.write('id: 2\ndata: b\n\n');
    expect(await read()).toBe('id: 1\ndata: a\n\nid: 2\ndata: b\n\n');
    sse.write('id: 3\ndata: c\n\n');
    expect(await read()).toBe('id: 3\ndata: c\n\n');
  });

  it('sends what was written before ending the response, and closes once', async () => {
    const { sse, read, closes } = writer();
    sse.write('data: last\n\n');
    sse.close(true);
    sse.close(true);
    expect(await read()).toBe('data: last\n\n');
    expect(await read()).toBeNull();
    expect(closes()).toBe(1);
    sse.write('data: after close\n\n');
  });
});
