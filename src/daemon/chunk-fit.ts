import { exceedsJsonDepth, LIMITS, type TaskEvent, type UIChunk } from '../protocol/index.ts';

/** Room left in a frame for the task event around the chunk (type, taskId up to 200, seq). */
export const EVENT_ENVELOPE_BYTES = 1024;

const DELTA_TYPES = new Set(['text-delta', 'reasoning-delta']);
/** Chunks whose one model-shaped field may be replaced by a note, keeping the chunk in place. */
const VALUE_FIELDS: Record<string, 'input' | 'output'> = {
  'tool-input-available': 'input',
  'tool-input-error': 'input',
  'tool-output-available': 'output',
};

/**
 * Makes a chunk fit in one WebSocket frame. The gateway refuses an oversized or too deeply nested
 * frame, so such a chunk would be lost with an error in its place. Text and reasoning deltas are
 * split into several deltas of the same part (the reassembled message is unchanged); a tool input
 * or output keeps its place with a note instead of the payload; anything else becomes a transient
 * data chunk that says what was dropped (clients show it, the stored message ignores it).
 * The depth check comes first: it is iterative, while JSON.stringify would overflow the stack on
 * a deep enough chunk (a model's tool call arguments can nest without bound).
 */
export function fitChunk(chunk: UIChunk, maxBytes: number): UIChunk[] {
  if (exceedsJsonDepth(chunk, LIMITS.maxChunkDepth)) return [flatten(chunk)];
  const size = Buffer.byteLength(JSON.stringify(chunk));
  if (size <= maxBytes) return [chunk];
  const note = `${chunk.type} of ${size} bytes exceeds the frame limit of ${maxBytes} bytes`;
  if (DELTA_TYPES.has(chunk.type) && typeof chunk.delta === 'string') {
    return splitDelta(chunk, chunk.delta, maxBytes - (size - Buffer.byteLength(JSON.stringify(chunk.delta))));
  }
  const field = VALUE_FIELDS[chunk.type];
  if (field) return [{ ...chunk, [field]: `[${field} dropped: ${note}]` }];
  return [
    {
      type: 'data-oversized-chunk',
      transient: true,
      data: { chunkType: chunk.type, bytes: size, limit: maxBytes },
    },
  ];
}

/** A chunk nested deeper than LIMITS.maxChunkDepth, made shallow. */
function flatten(chunk: UIChunk): UIChunk {
  const limit = LIMITS.maxChunkDepth;
  const field = VALUE_FIELDS[chunk.type];
  if (field) {
    const kept = { ...chunk, [field]: `[${field} dropped: nested deeper than ${limit} levels]` };
    if (!exceedsJsonDepth(kept, limit)) return kept;
  }
  return { type: 'data-oversized-chunk', transient: true, data: { chunkType: chunk.type, maxDepth: limit } };
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

/**
 * Text cut to at most `maxUnits` UTF-16 units, never inside a surrogate pair, with `note` at the
 * end when anything was cut (the result, note included, is at most `maxUnits` long).
 */
export function clipText(text: string, maxUnits: number, note: (length: number) => string): string {
  if (text.length <= maxUnits) return text;
  const suffix = note(text.length);
  let end = Math.max(0, maxUnits - suffix.length);
  if (end < text.length && isLowSurrogate(text.charCodeAt(end))) end -= 1;
  return `${text.slice(0, end)}${suffix}`.slice(0, maxUnits);
}

/**
 * A numbered task event made to fit in `maxBytes`, keeping its task and seq: the last guard that
 * no frame the daemon builds exceeds the gateway's limit (events are sized for it upstream; this
 * catches what a smaller announced limit or a new event kind would let through). The long text
 * of a final event is clipped; a chunk becomes a transient notice.
 */
export function fitEvent(event: TaskEvent, frameBytes: number, maxBytes: number): TaskEvent {
  // The text's budget is the limit less the rest of the frame and its two quotes; JSON escaping
  // makes a unit at most 6 bytes.
  const units = (text: string) =>
    Math.max(0, Math.floor((maxBytes - (frameBytes - Buffer.byteLength(JSON.stringify(text))) - 2) / 6));
  const note = (length: number) =>
    `\n[clipped to fit the frame limit of ${maxBytes} bytes; ${length} characters]`;
  switch (event.type) {
    case 'task:completed':
      return {
        ...event,
        result: { ...event.result, text: clipText(event.result.text, units(event.result.text), note) },
      };
    case 'task:error':
      return { ...event, error: clipText(event.error, units(event.error), note) };
    case 'task:stopped':
      return { ...event, reason: clipText(event.reason, units(event.reason), note) };
    case 'task:stream-chunk':
      return {
        ...event,
        chunk: {
          type: 'data-oversized-chunk',
          transient: true,
          data: { chunkType: event.chunk.type, bytes: frameBytes, limit: maxBytes },
        },
      };
    default:
      return event;
  }
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
