import type { DecodeResult, UnnumberedTaskEvent } from '../../protocol/index.ts';
import { isTaskEventType } from '../tasks/task-event-intake.ts';
import { isTerminalEventType } from '../tasks/task-transitions.ts';

type Refusal = Extract<DecodeResult<unknown>, { ok: false }>;

/**
 * What the gateway stores in place of a task event it refused from a daemon without the `seq`
 * extension, or undefined when the frame does not say which task it was about. As for a numbered
 * event (refused-frame.ts), an error event takes its place, so the task's reader learns why: a
 * terminal event becomes `task:error` (the task ends), any other an `error` chunk. The gateway
 * numbers it like the daemon's other events.
 */
export function documentStandIn(text: string, refusal: Refusal): UnnumberedTaskEvent | undefined {
  const data = refusal.data ?? (refusal.code === 'payload_too_large' ? parseQuietly(text) : undefined);
  if (typeof data !== 'object' || data === null) return undefined;
  const { type, taskId } = data as Record<string, unknown>;
  if (typeof type !== 'string' || !isTaskEventType(type)) return undefined;
  if (typeof taskId !== 'string' || taskId.length === 0 || taskId.length > 200) return undefined;
  const why = `the gateway refused ${type} and dropped it: ${refusal.message}`.slice(0, 2000);
  return isTerminalEventType(type)
    ? { type: 'task:error', taskId, error: why }
    : { type: 'task:stream-chunk', taskId, chunk: { type: 'error', errorText: why } };
}

/** An oversized frame is read only to name its task (at most LIMITS.maxFrameReadBytes). */
function parseQuietly(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
