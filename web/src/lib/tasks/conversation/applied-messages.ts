import type { TaskDetailResponse } from '#lib/protocol.ts';

/** The follow-up message ids the agent applied between two seqs (its `message-applied` events). */
export function appliedBetween(detail: TaskDetailResponse, afterSeq: number, beforeSeq: number): string[] {
  return detail.events.flatMap((event) => {
    if (event.type !== 'task:progress' || event.seq <= afterSeq || event.seq >= beforeSeq) return [];
    const progress = (event.data as { event?: { kind?: string; messageId?: string } }).event;
    return progress?.kind === 'message-applied' && progress.messageId ? [progress.messageId] : [];
  });
}
