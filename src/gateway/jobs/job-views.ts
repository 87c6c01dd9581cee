import type { JobRunView, JobView } from '../../protocol/index.ts';
import type { JobRecord, JobRunRow } from '../store/index.ts';

export function toJobRunView(run: JobRunRow): JobRunView {
  return {
    id: run.id,
    jobId: run.jobId,
    scheduledFor: run.scheduledFor,
    trigger: run.trigger,
    status: run.status,
    missedTicks: run.missedTicks,
    taskId: run.taskId,
    taskStatus: run.taskStatus,
    error: run.error,
    createdAt: run.createdAt,
  };
}

export function toJobView(job: JobRecord, nextRuns: readonly Date[], lastRun: JobRunRow | null): JobView {
  return {
    id: job.id,
    name: job.name,
    cron: job.cron,
    timeZone: job.timeZone,
    goal: job.goal,
    mode: job.mode,
    target:
      job.targetType === 'viber'
        ? { type: 'viber', viberId: job.targetId }
        : { type: 'environment', environmentId: job.targetId },
    delivery: job.delivery,
    missedRuns: job.missedRuns,
    enabled: job.enabled,
    nextRuns: nextRuns.map((at) => at.toISOString()),
    lastRun: lastRun ? toJobRunView(lastRun) : null,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
  };
}
