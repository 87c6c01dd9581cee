import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeDaemonFrame } from './daemon-frame.ts';
import { DaemonMessageSchema } from './daemon-messages.ts';
import { decodeFrame } from './frames.ts';
import { LIMITS } from './limits.ts';

const bySchema = (raw: string) => decodeFrame(DaemonMessageSchema, raw, LIMITS.maxFrameBytes);

/** Values a stream-chunk frame's fields might hold, good and bad. */
const anyValue = fc.oneof(
  fc.string({ maxLength: 210 }),
  fc.constant(''),
  fc.integer({ min: -3, max: 2 ** 54 }),
  fc.double(),
  fc.constantFrom(null, true, [], {}, 2 ** 53, 2 ** 53 - 1, 1.5, 'task:stream-chunk'),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 3 }),
);
const chunkLike = fc.oneof(
  anyValue,
  fc.record(
    { type: anyValue, id: fc.string({ maxLength: 8 }), delta: fc.string({ maxLength: 40 }) },
    { requiredKeys: [] },
  ),
);
const frameLike = fc.record(
  {
    type: fc.oneof(fc.constant('task:stream-chunk'), anyValue),
    taskId: fc.oneof(fc.constant('task_1'), anyValue),
    seq: fc.oneof(fc.integer({ min: 1, max: 1_000_000 }), anyValue),
    chunk: fc.oneof(fc.record({ type: fc.constant('text-delta'), delta: fc.string() }), chunkLike),
    extra: anyValue,
  },
  { requiredKeys: [] },
);

describe('decodeDaemonFrame', () => {
  it('decodes every frame exactly as the schema does: same value, same refusal', () => {
    fc.assert(
      fc.property(frameLike, (frame) => {
        const raw = JSON.stringify(frame);
        expect(decodeDaemonFrame(raw)).toEqual(bySchema(raw));
      }),
      { numRuns: 3000 },
    );
  });

  it('takes the schema for text that is not JSON, and for frames of other types', () => {
    for (const raw of [
      '{"type":"task:stream-chunk"',
      'not json',
      '[]',
      '{"type":"heartbeat","status":{"state":"idle","runningTasks":0,"uptimeSeconds":1}}',
      '{"type":"task:started","taskId":"task_1","seq":1,"spaceId":"","note":"task:stream-chunk"}',
    ]) {
      expect(decodeDaemonFrame(raw)).toEqual(bySchema(raw));
    }
  });

  it('drops unknown top-level keys and keeps the chunk as sent', () => {
    const raw = JSON.stringify({
      type: 'task:stream-chunk',
      taskId: 'task_1',
      seq: 7,
      chunk: { type: 'text-delta', id: 't', delta: 'hi', providerMetadata: { a: 1 } },
      later: 'ignored',
    });
    expect(decodeDaemonFrame(raw)).toEqual({
      ok: true,
      value: {
        type: 'task:stream-chunk',
        taskId: 'task_1',
        seq: 7,
        chunk: { type: 'text-delta', id: 't', delta: 'hi', providerMetadata: { a: 1 } },
      },
    });
  });

  it('refuses a chunk nested too deep, long or short, as the schema does', () => {
    const deep = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
    for (const levels of [LIMITS.maxFrameDepth - 2, LIMITS.maxFrameDepth + 5]) {
      const raw = `{"type":"task:stream-chunk","taskId":"task_1","seq":1,"chunk":{"type":"x","v":${deep(levels)}}}`;
      const decoded = decodeDaemonFrame(raw);
      expect(decoded).toEqual(bySchema(raw));
      expect(decoded.ok).toBe(levels < LIMITS.maxFrameDepth - 1);
    }
  });
});
