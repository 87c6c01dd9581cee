import { describe, expect, it } from 'vitest';
import { fitChunk } from './chunk-fit.ts';

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
