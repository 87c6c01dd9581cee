import type { DecodeResult, TaskEvent } from '../../protocol/index.ts';
import { isTaskEventType } from '../tasks/task-event-intake.ts';
import { isTerminalEventType } from '../tasks/task-transitions.ts';

type Refusal = Extract<DecodeResult<unknown>, { ok: false }>;

/**
 * What the gateway stores in place of a task event it refused for its size or shape, or
 * undefined when the frame does not say which task event it was.
 *
 * The daemon keeps every event until a `task:ack` covers it and resends it after each reconnect,
 * and a task's later events wait behind it (a gap is never stored). So a refused event must still
 * take its seq in the log, or it is resent as it is forever and its task never moves again. The
 * stand-in is an error event: a terminal event becomes `task:error` (the task ends, with why); any
 * other becomes an `error` chunk in the stream (the task carries on). Its seq is acknowledged like
 * any stored event, and the appender checks the task belongs to this viber as for any event.
 */
export function standInForRefused(text: string, refusal: Refusal): TaskEvent | undefined {
  const data = refusal.data ?? (refusal.code === 'payload_too_large' ? parseQuietly(text) : undefined);
  if (typeof data !== 'object' || data === null) return undefined;
  const { type, taskId, seq } = data as Record<string, unknown>;
  if (typeof type !== 'string' || !isTaskEventType(type)) return undefined;
  if (typeof taskId !== 'string' || taskId.length === 0 || taskId.length > 200) return undefined;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) return undefined;
  const why = `the gateway refused ${type} seq ${seq} and dropped it: ${refusal.message}`.slice(0, 2000);
  return isTerminalEventType(type)
    ? { type: 'task:error', taskId, seq, error: why }
    : { type: 'task:stream-chunk', taskId, seq, chunk: { type: 'error', errorText: why } };
}

/**
 * An oversized frame is not parsed by the decoder; this reads it only to name its task. It is
 * at most LIMITS.maxFrameReadBytes (the socket refuses larger ones unread), and JSON.parse does
 * not recurse, so neither size nor depth can hurt here.
 */
function parseQuietly(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
