import { isTerminalTaskStatus, type TaskEvent } from '../../protocol/index.ts';
import type { TaskPatch, TaskRecord } from '../store/index.ts';

/**
 * The task lifecycle of the protocol document, section 4, driven by the daemon's events:
 * pending -> running -> completed | error | stopped. A terminal state never changes again.
 */
export function transitionFor(event: TaskEvent, at: string): (task: TaskRecord) => TaskPatch | null {
  return (task) => {
    if (event.type === 'task:progress') {
      return event.event.kind === 'usage' ? { usage: event.event.usage } : null;
    }
    if (isTerminalTaskStatus(task.status)) return null;
    switch (event.type) {
      case 'task:started':
        return task.status === 'pending' ? { status: 'running', startedAt: at } : null;
      case 'task:completed':
        return {
          status: 'completed',
          result: event.result,
          ...(event.result.usage ? { usage: event.result.usage } : {}),
          endedAt: at,
          startedAt: task.startedAt ?? at,
        };
      case 'task:error':
        return { status: 'error', error: event.error, endedAt: at, startedAt: task.startedAt ?? at };
      case 'task:stopped':
        return { status: 'stopped', error: event.reason, endedAt: at, startedAt: task.startedAt ?? at };
      default:
        return null;
    }
  };
}

/** What the log keeps of an event: a stream chunk exactly as received, otherwise its fields. */
export function eventPayload(event: TaskEvent): string {
  if (event.type === 'task:stream-chunk') return JSON.stringify(event.chunk);
  const { type: _type, taskId: _taskId, seq: _seq, ...fields } = event;
  return JSON.stringify(fields);
}

export const isTerminalEventType = (type: string): boolean =>
  type === 'task:completed' || type === 'task:error' || type === 'task:stopped';
