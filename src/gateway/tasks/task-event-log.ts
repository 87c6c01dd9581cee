import type { TaskEvent, UnnumberedTaskEvent } from '../../protocol/index.ts';
import type { TaskEventAppend, TasksStore } from '../store/index.ts';
import { eventPayload, transitionFor } from './task-transitions.ts';

/**
 * What the store appends for a task event: its log row and the state transition it drives.
 * `arrivedAt` (performance.now()) rides on the row to its live readers, for the relay latency.
 */
export function toAppend(event: TaskEvent, at: string, arrivedAt?: number): TaskEventAppend {
  return {
    event: {
      taskId: event.taskId,
      seq: event.seq,
      type: event.type,
      payload: eventPayload(event),
      at,
      // Known here without parsing anything: the store keeps it so it never parses payloads.
      chunkType: event.type === 'task:stream-chunk' ? event.chunk.type : null,
      arrivedAt,
    },
    transition: transitionFor(event, at),
  };
}

/**
 * Numbers events the gateway numbers itself (a daemon without the `seq` extension, or the
 * gateway's own error events): each task's continue after the last seq stored for it. Read when
 * the events are about to be stored, in the connection's queue, so nothing else of that
 * connection appends in between.
 */
export async function numberTaskEvents(
  store: Pick<TasksStore, 'getTask'>,
  events: readonly UnnumberedTaskEvent[],
): Promise<TaskEvent[]> {
  const next = new Map<string, number>();
  for (const event of events) {
    if (next.has(event.taskId)) continue;
    next.set(event.taskId, ((await store.getTask(event.taskId))?.lastSeq ?? 0) + 1);
  }
  return events.map((event) => {
    const seq = next.get(event.taskId)!;
    next.set(event.taskId, seq + 1);
    return { ...event, seq } as TaskEvent;
  });
}
