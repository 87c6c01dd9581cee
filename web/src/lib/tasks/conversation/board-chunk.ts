import type { UIMessageChunk } from 'ai';

/**
 * Chunks the AI SDK's Chat would stop at: an `error` chunk throws inside the SDK and drops what
 * follows (the final report comes after it), so errors and stops become data parts, shown inline.
 */
export function boardChunk(chunk: UIMessageChunk, seq: number): UIMessageChunk {
  if (chunk.type === 'error') return { type: 'data-error', id: `error-${seq}`, data: { errorText: chunk.errorText } };
  if (chunk.type === 'abort') return { type: 'data-abort', id: `abort-${seq}`, data: { reason: chunk.reason ?? null } };
  return chunk;
}
