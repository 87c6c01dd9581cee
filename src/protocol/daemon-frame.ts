import { type DaemonMessage, DaemonMessageSchema } from './daemon-messages.ts';
import { type DecodeResult, decodeFrame, mayExceedDepth } from './frames.ts';
import { LIMITS } from './limits.ts';

type StreamChunk = Extract<DaemonMessage, { type: 'task:stream-chunk' }>;

/**
 * Decodes a frame of a daemon that negotiated `seq`. Nearly every frame of a running task is a
 * `task:stream-chunk`; for one short enough that neither the size nor the depth limit can be
 * reached, a check written out by hand takes the place of the schema: it accepts exactly what
 * DaemonMessageSchema accepts for that type and gives the same value (unknown top-level keys
 * dropped, the chunk as sent). Anything it does not accept, and every other frame, goes through
 * decodeFrame, so a refusal says the same precise thing either way.
 */
export function decodeDaemonFrame(raw: string): DecodeResult<DaemonMessage> {
  if (raw.length * 3 <= LIMITS.maxFrameBytes && !mayExceedDepth(raw, LIMITS.maxFrameDepth)) {
    const chunk = quickStreamChunk(raw);
    if (chunk) return { ok: true, value: chunk };
  }
  return decodeFrame(DaemonMessageSchema, raw, LIMITS.maxFrameBytes);
}

/** The frame as a valid `task:stream-chunk`, or undefined for anything else (invalid or not). */
function quickStreamChunk(raw: string): StreamChunk | undefined {
  // Cheaper than parsing a frame of another type only to find its type.
  if (!raw.includes('"task:stream-chunk"')) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof data !== 'object' || data === null) return undefined;
  const { type, taskId, seq, chunk } = data as Record<string, unknown>;
  if (type !== 'task:stream-chunk') return undefined;
  if (typeof taskId !== 'string' || taskId.length < 1 || taskId.length > 200) return undefined;
  if (!Number.isSafeInteger(seq) || (seq as number) < 1) return undefined;
  if (typeof chunk !== 'object' || chunk === null || Array.isArray(chunk)) return undefined;
  const chunkType = (chunk as { type?: unknown }).type;
  if (typeof chunkType !== 'string' || chunkType.length < 1 || chunkType.length > 200) return undefined;
  return { type, taskId, seq: seq as number, chunk: chunk as StreamChunk['chunk'] };
}
