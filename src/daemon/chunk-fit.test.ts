import { describe, expect, it } from 'vitest';
import { DaemonMessageSchema, decodeFrame, LIMITS, type TaskEvent } from '../protocol/index.ts';
import { clipText, fitChunk, fitEvent } from './chunk-fit.ts';

/** `{"a":{"a":...}}` nested `levels` deep, as a model's tool call arguments can be. */
const nested = (levels: number): unknown =>
  JSON.parse(`${'{"a":'.repeat(levels - 1)}{}${'}'.repeat(levels - 1)}`);

describe('fitChunk', () => {
  it('passes a chunk that fits untouched', () => {
    const chunk = { type: 'text-delta', id: 't', delta: 'hello' };
    expect(fitChunk(chunk, 1_000)[0]).toBe(chunk);
  });

  it('splits an oversized delta into deltas that fit and reassemble exactly', () => {
    const delta = `${'a"\n'.repeat(3_000)}😀${'\u0001'.repeat(500)}😀`;
    const pieces = fitChunk({ type: 'text-delta', id: 't', delta }, 2_000);
    expect(pieces.length).toBeGreaterThan(1);
    for (const piece of pieces) {
      expect(Buffer.byteLength(JSON.stringify(piece))).toBeLessThanOrEqual(2_000);
      expect(piece).toMatchObject({ type: 'text-delta', id: 't' });
    }
    expect(pieces.map((piece) => piece.delta).join('')).toBe(delta);
  });

  it('keeps an oversized tool output in place with a note', () => {
    const [piece] = fitChunk(
      { type: 'tool-output-available', toolCallId: 'c1', output: 'x'.repeat(5_000) },
      1_000,
    );
    expect(piece).toMatchObject({ type: 'tool-output-available', toolCallId: 'c1' });
    expect(String(piece!.output)).toMatch(/^\[output dropped: tool-output-available of \d+ bytes exceeds/);
  });

  it('replaces any other oversized chunk with a transient notice', () => {
    const [piece] = fitChunk({ type: 'data-plan', data: 'x'.repeat(5_000) }, 1_000);
    expect(piece).toEqual({
      type: 'data-oversized-chunk',
      transient: true,
      data: { chunkType: 'data-plan', bytes: expect.any(Number), limit: 1_000 },
    });
  });
});

describe('fitChunk nesting bound', () => {
  it('keeps a tool input nested 1,500 levels deep in place with a note naming the limit', () => {
    const chunk = {
      type: 'tool-input-available',
      toolCallId: 'c1',
      toolName: 'list_directory',
      input: nested(1_500),
    };
    const [piece, ...rest] = fitChunk(chunk, LIMITS.maxFrameBytes);
    expect(rest).toEqual([]);
    expect(piece).toEqual({
      type: 'tool-input-available',
      toolCallId: 'c1',
      toolName: 'list_directory',
      input: `[input dropped: nested deeper than ${LIMITS.maxChunkDepth} levels]`,
    });
  });

  it('replaces any other chunk nested too deep (even past what JSON.stringify survives) with a notice', () => {
    const [piece] = fitChunk({ type: 'data-deep', data: nested(50_000) }, LIMITS.maxFrameBytes);
    expect(piece).toEqual({
      type: 'data-oversized-chunk',
      transient: true,
      data: { chunkType: 'data-deep', maxDepth: LIMITS.maxChunkDepth },
    });
  });

  it('passes a chunk at the limit untouched, and the gateway accepts its frame', () => {
    const chunk = {
      type: 'tool-output-available',
      toolCallId: 'c1',
      output: nested(LIMITS.maxChunkDepth - 1),
    };
    expect(fitChunk(chunk, LIMITS.maxFrameBytes)[0]).toBe(chunk);
    const frame = JSON.stringify({ type: 'task:stream-chunk', taskId: 't', seq: 1, chunk });
    expect(decodeFrame(DaemonMessageSchema, frame, LIMITS.maxFrameBytes).ok).toBe(true);
  });
});

describe('fitEvent', () => {
  const fits = (event: TaskEvent, maxBytes: number) => {
    const frame = JSON.stringify(event);
    return fitEvent(event, Buffer.byteLength(frame), maxBytes);
  };

  it('clips the text of a final event to the frame limit, keeping task and seq', () => {
    const text = `${'é\u0001"'.repeat(200_000)}`;
    const event = fits(
      { type: 'task:completed', taskId: 't', seq: 9, result: { text, finishReason: 'stop' } },
      65_536,
    );
    const frame = JSON.stringify(event);
    expect(Buffer.byteLength(frame)).toBeLessThanOrEqual(65_536);
    expect(event).toMatchObject({
      type: 'task:completed',
      taskId: 't',
      seq: 9,
      result: { finishReason: 'stop' },
    });
    if (event.type !== 'task:completed') throw new Error('unreachable');
    expect(text.startsWith(event.result.text.split('\n[clipped')[0]!)).toBe(true);
    expect(event.result.text).toMatch(
      /\[clipped to fit the frame limit of 65536 bytes; 600000 characters\]$/,
    );
    const error = fits({ type: 'task:error', taskId: 't', seq: 2, error: 'x'.repeat(8_000) }, 4_096);
    expect(Buffer.byteLength(JSON.stringify(error))).toBeLessThanOrEqual(4_096);
  });

  it('turns an oversized chunk into a notice', () => {
    const event = fits(
      { type: 'task:stream-chunk', taskId: 't', seq: 4, chunk: { type: 'data-x', data: 'x'.repeat(5_000) } },
      2_048,
    );
    expect(event).toMatchObject({
      seq: 4,
      chunk: { type: 'data-oversized-chunk', data: { chunkType: 'data-x', limit: 2_048 } },
    });
  });
});

describe('clipText', () => {
  it('never cuts a surrogate pair and keeps the result within the bound', () => {
    const clipped = clipText('a😀😀😀😀', 4, () => '');
    expect(clipped).toBe('a😀');
    expect(clipText('short', 10, () => '!')).toBe('short');
    expect(clipText('x'.repeat(100), 20, (n) => `[${n}]`)).toBe(`${'x'.repeat(15)}[100]`);
  });
});
