import type { UIChunk } from '../protocol/index.ts';

/** Room left in a frame for the task event around the chunk (type, taskId up to 200, seq). */
export const EVENT_ENVELOPE_BYTES = 1024;

const DELTA_TYPES = new Set(['text-delta', 'reasoning-delta']);

/**
 * Makes a chunk fit in one WebSocket frame. The gateway refuses an oversized frame, so an
 * oversized chunk would be resent after every reconnect forever. Text and reasoning deltas are
 * split into several deltas of the same part (the reassembled message is unchanged); a tool
 * output keeps its place with a note instead of the payload; anything else becomes a transient
 * data chunk that says what was dropped (clients show it, the stored message ignores it).
 */
export function fitChunk(chunk: UIChunk, maxBytes: number): UIChunk[] {
  const size = Buffer.byteLength(JSON.stringify(chunk));
  if (size <= maxBytes) return [chunk];
  const note = `${chunk.type} of ${size} bytes exceeds the frame limit of ${maxBytes} bytes`;
  if (DELTA_TYPES.has(chunk.type) && typeof chunk.delta === 'string') {
    return splitDelta(chunk, chunk.delta, maxBytes - (size - Buffer.byteLength(JSON.stringify(chunk.delta))));
  }
  if (chunk.type === 'tool-output-available') {
    return [{ ...chunk, output: `[output dropped: ${note}]` }];
  }
  return [
    {
      type: 'data-oversized-chunk',
      transient: true,
      data: { chunkType: chunk.type, bytes: size, limit: maxBytes },
    },
  ];
}

function splitDelta(chunk: UIChunk, delta: string, budgetBytes: number): UIChunk[] {
  // JSON escaping turns one UTF-16 unit into at most 6 bytes (`\u0000`), so this many units always fit.
  const unitsPerPiece = Math.max(2, Math.floor(budgetBytes / 6));
  const pieces: UIChunk[] = [];
  let start = 0;
  while (start < delta.length) {
    let end = Math.min(delta.length, start + unitsPerPiece);
    // Never cut a surrogate pair in two.
    if (end < delta.length && isLowSurrogate(delta.charCodeAt(end))) end -= 1;
    pieces.push({ ...chunk, delta: delta.slice(start, end) });
    start = end;
  }
  return pieces;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
