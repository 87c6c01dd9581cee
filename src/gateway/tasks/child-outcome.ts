import type { ChildOutcome, ChildReport, TaskReport } from '../../protocol/index.ts';
import type { TaskRecord, TasksStore } from '../store/index.ts';
import { readTaskReport } from './task-report.ts';

/** What of a child's answer and report its parent hears: enough to act on, always one frame. */
const MAX_ANSWER_CHARS = 50_000;
const MAX_CLAIMS = 50;
const MAX_CLAIM_CHARS = 1_000;
const MAX_SUMMARY_CHARS = 8_000;

/**
 * A finished child as its parent hears it (`task:child-ended`): its status, final answer, error,
 * usage and a digest of its report, read from the durable log (the evidence stays with the child).
 */
export async function childOutcomeOf(
  store: Pick<TasksStore, 'getTask' | 'readTaskLog'>,
  child: TaskRecord,
): Promise<ChildOutcome> {
  const report = await readTaskReport(store, child.id).catch(() => null);
  return {
    childTaskId: child.id,
    requestId: child.delegateRequestId ?? child.id,
    viberId: child.viberId,
    status: child.status === 'completed' ? 'completed' : child.status === 'stopped' ? 'stopped' : 'error',
    answer: (child.result?.text ?? '').slice(0, MAX_ANSWER_CHARS),
    error: child.error?.slice(0, 8000) ?? null,
    usage: child.usage,
    report: report ? digest(report) : null,
  };
}

function digest(report: TaskReport): ChildReport {
  return {
    summary: report.summary.slice(0, MAX_SUMMARY_CHARS),
    statedByAgent: report.statedByAgent,
    claims: report.claims.slice(0, MAX_CLAIMS).map((claim) => ({
      text: claim.text.slice(0, MAX_CLAIM_CHARS),
      status: claim.status,
      ...(claim.note ? { note: claim.note.slice(0, MAX_CLAIM_CHARS) } : {}),
    })),
    counts: report.counts,
  };
}
