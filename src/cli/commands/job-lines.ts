import { styleText } from 'node:util';
import { cronInWords, tickText } from '../../client/index.ts';
import type { JobRunView, JobView } from '../../protocol/index.ts';

// How `viber jobs` shows jobs and runs: one line each in lists, a block for `show`. A tick reads in
// the job's own zone, named, as the board shows it (src/client/job-time.ts); --json keeps ISO times.

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
  const next = job.nextRuns[0] ? `next ${inZone(job.nextRuns[0], job.timeZone)}` : 'no next run';
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
    `  schedule    ${[cronInWords(job.cron), job.cron].filter(Boolean).join(' · ')}  (${job.timeZone})`,
    `  target      ${targetText(job)}`,
    `  goal        ${job.goal}`,
    `  mode        ${job.mode}`,
    `  missed runs ${job.missedRuns}`,
    `  results to  ${delivery}`,
    `  next runs   ${job.nextRuns.map((iso) => inZone(iso, job.timeZone)).join(', ') || 'none'}`,
    `  last run    ${job.lastRun ? `${inZone(job.lastRun.scheduledFor, job.timeZone)} ${lastRunText(job.lastRun)}` : 'never'}`,
  ].join('\n');
}

/** `Thu 3 Dec 03:00 Europe/Berlin`: a tick as the job's zone reads it. */
export function inZone(iso: string, timeZone: string): string {
  return `${tickText(iso, timeZone)} ${timeZone}`;
}
