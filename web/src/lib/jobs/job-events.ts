import type { BoardEvent } from '#lib/protocol.ts';
import { board } from '../state/board.svelte.ts';

/**
 * What keeps a jobs view current, with no polling: the board's push events. `refetch` on every
 * (re)connection (`events.ready`: events are not replayed) and on `job.changed` (a job created,
 * changed or deleted, or a run recorded; `jobId` limits it to one job). A run's task status needs
 * no refetch: JobRunStatus reads it from the board's tasks, which `task.updated` keeps. Returns
 * the unsubscribe.
 */
export function followJobEvents(handlers: { jobId?: string; refetch: () => void }): () => void {
  return board.subscribe((event: BoardEvent) => {
    if (event.type === 'events.ready') handlers.refetch();
    else if (event.type === 'job.changed' && (!handlers.jobId || event.jobId === handlers.jobId)) handlers.refetch();
  });
}
