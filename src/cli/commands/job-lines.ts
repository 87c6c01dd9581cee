import { styleText } from 'node:util';
import type { JobRunView, JobView } from '../../protocol/index.ts';

// How `viber jobs` shows jobs and runs: one line each in lists, a block for `show`.

const RUN_COLORS = { started: 'green', skipped: 'yellow', 'failed-to-start': 'red' } as const;

export function targetText(job: JobView): string {
  return job.target.type === 'viber' ? `viber ${job.target.viberId}` : `env ${job.target.environmentId}`;
}

function lastRunText(run: JobRunView | null): string {
  if (!run) return styleText('dim', 'never run');
  const task = run.taskStatus ? ` (task ${run.taskStatus})` : '';
  return `${styleText(RUN_COLORS[run.status], run.status)}${task}`;
}

export function jobLine(job: JobView): string {
  const state = job.enabled ? styleText('green', 'enabled') : styleText('yellow', 'paused ');
  const next = job.nextRuns[0] ? `next ${job.nextRuns[0]}` : 'no next run';
  return `${job.id}  ${state}  ${job.name}  ${styleText('bold', job.cron)} ${job.timeZone}  ${next}  last ${lastRunText(job.lastRun)}`;
}

export function runLine(run: JobRunView): string {
  const status = styleText(RUN_COLORS[run.status], run.status.padEnd(15));
  const missed = run.missedTicks ? `  ${run.missedTicks} missed` : '';
  const task = run.taskId ? `  ${run.taskId} ${run.taskStatus ?? ''}` : '';
  const error = run.error ? `  ${styleText('dim', run.error)}` : '';
  return `${run.scheduledFor}  ${status}  ${run.trigger.padEnd(8)}${task}${missed}${error}`;
}

export function describeJob(job: JobView): string {
  const delivery =
    job.delivery.to === 'board'
      ? 'board'
      : `channel ${job.delivery.channelId} (${job.delivery.conversationKey})`;
  return [
    `${styleText('bold', job.name)}  ${job.id}  ${job.enabled ? 'enabled' : 'paused'}`,
    `  schedule    ${job.cron}  (${job.timeZone})`,
    `  target      ${targetText(job)}`,
    `  goal        ${job.goal}`,
    `  mode        ${job.mode}`,
    `  missed runs ${job.missedRuns}`,
    `  results to  ${delivery}`,
    `  next runs   ${job.nextRuns.join(', ') || 'none'}`,
    `  last run    ${job.lastRun ? `${job.lastRun.scheduledFor} ${lastRunText(job.lastRun)}` : 'never'}`,
  ].join('\n');
}
