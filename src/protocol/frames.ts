import type { z } from 'zod';
import type { ErrorCode } from './errors.ts';
import { exceedsJsonDepth } from './json-depth.ts';
import { LIMITS } from './limits.ts';

export { exceedsJsonDepth } from './json-depth.ts';

/**
 * A refused frame carries what it parsed to, when it was JSON at all (`data`), so the receiver can
 * tell which task a refused task event was about.
 */
export type DecodeResult<T> =
  | { ok: true; value: T }
  | { ok: false; code: ErrorCode; message: string; data?: unknown };

/** Text of a zod error that names the field: `options.mode: Invalid option: expected one of ...`. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
}

/**
 * Decodes one WebSocket frame: size limit, JSON, nesting depth, then the schema. Every failure
 * says precisely what was wrong, so the peer can be told and the connection kept. The depth check
 * comes before anything recursive (zod, and JSON.stringify when the frame is stored) could
 * overflow the stack; JSON.parse itself is iterative in V8.
 */
export function decodeFrame<T>(
  schema: z.ZodType<T>,
  raw: string,
  maxBytes: number,
  maxDepth: number = LIMITS.maxFrameDepth,
): DecodeResult<T> {
  // A UTF-16 unit is at most 3 UTF-8 bytes: a short frame is under the limit without counting.
  if (raw.length * 3 > maxBytes && Buffer.byteLength(raw) > maxBytes) {
    return { ok: false, code: 'payload_too_large', message: `frame exceeds ${maxBytes} bytes` };
  }
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return { ok: false, code: 'invalid_json', message: 'frame is not valid JSON' };
  }
  const type =
    typeof data === 'object' && data !== null && 'type' in data
      ? (data as { type: unknown }).type
      : undefined;
  if (typeof type !== 'string') {
    return { ok: false, code: 'unknown_message', message: 'frame has no string "type" field' };
  }
  if (mayExceedDepth(raw, maxDepth) && exceedsJsonDepth(data, maxDepth)) {
    return {
      ok: false,
      code: 'validation_failed',
      message: `${type.slice(0, 100)}: frame nests deeper than ${maxDepth} levels`,
      data,
    };
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const unknownType = parsed.error.issues.some(
      (issue) => issue.code === 'invalid_union' && issue.path.join('.') === 'type',
    );
    return unknownType
      ? { ok: false, code: 'unknown_message', message: `unknown message type "${type.slice(0, 100)}"` }
      : {
          ok: false,
          code: 'validation_failed',
          message: `${type.slice(0, 100)}: ${describeZodError(parsed.error)}`,
          data,
        };
  }
  return { ok: true, value: parsed.data };
}

/**
 * Whether JSON text is long enough to nest deeper than `maxDepth`: each level takes an opening and
 * a closing bracket, so text of fewer than 2 * (maxDepth + 1) characters cannot, and the walk over
 * the parsed value (the costlier part of decoding a small frame) is skipped.
 */
export const mayExceedDepth = (text: string, maxDepth: number): boolean => text.length >= 2 * (maxDepth + 1);
