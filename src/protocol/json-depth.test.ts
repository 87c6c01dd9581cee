import { describe, expect, it } from 'vitest';
import { DaemonMessageSchema, decodeFrame, exceedsJsonDepth, LIMITS } from './index.ts';

/** `{"a":{"a":...{}}}`, `levels` objects deep, built without recursion. */
function nested(levels: number): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  let node = root;
  for (let level = 1; level < levels; level += 1) {
    const child: Record<string, unknown> = {};
    node.a = child;
    node = child;
  }
  return root;
}

describe('exceedsJsonDepth', () => {
  it('counts objects and arrays as levels and scalars as none', () => {
    expect(exceedsJsonDepth('text', 0)).toBe(false);
    expect(exceedsJsonDepth(null, 0)).toBe(false);
    expect(exceedsJsonDepth({}, 0)).toBe(true);
    expect(exceedsJsonDepth({}, 1)).toBe(false);
    expect(exceedsJsonDepth({ a: [1, 'x', null] }, 2)).toBe(false);
    expect(exceedsJsonDepth({ a: [1, { b: 2 }] }, 2)).toBe(true);
    expect(exceedsJsonDepth(nested(64), 64)).toBe(false);
    expect(exceedsJsonDepth(nested(65), 64)).toBe(true);
  });

  it('measures a value 200,000 levels deep without overflowing the stack', () => {
    const deep = JSON.parse(`${'['.repeat(200_000)}${']'.repeat(200_000)}`);
    expect(exceedsJsonDepth(deep, LIMITS.maxChunkDepth)).toBe(true);
    expect(exceedsJsonDepth(deep, 2_000_000)).toBe(false);
  });
});

describe('decodeFrame nesting bound', () => {
  const chunkFrame = (chunk: unknown) =>
    JSON.stringify({ type: 'task:stream-chunk', taskId: 't', seq: 3, chunk });

  it('accepts a chunk exactly at the chunk depth limit', () => {
    const chunk = { type: 'data-x', data: nested(LIMITS.maxChunkDepth - 1) };
    expect(decodeFrame(DaemonMessageSchema, chunkFrame(chunk), LIMITS.maxFrameBytes).ok).toBe(true);
  });

  it('refuses a deeper frame by name and limit, and says what it parsed to', () => {
    const text = `{"type":"task:stream-chunk","taskId":"t","seq":3,"chunk":{"type":"x","v":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`;
    const result = decodeFrame(DaemonMessageSchema, text, LIMITS.maxFrameBytes);
    expect(result).toMatchObject({
      ok: false,
      code: 'validation_failed',
      message: `task:stream-chunk: frame nests deeper than ${LIMITS.maxFrameDepth} levels`,
      data: { type: 'task:stream-chunk', taskId: 't', seq: 3 },
    });
  });
});
