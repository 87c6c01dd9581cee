import { OpenViberError } from '../../core/errors.ts';
import { nextTicks, type Schedule } from './job-schedule.ts';

/**
 * The floor of a job's schedule (docs/jobs.md, "How often"): two ticks of one job are at least
 * this far apart. A job starts a task per tick, and a task costs a model's tokens: `* * * * * *`
 * would start 86,400 a day. Tests of the scheduler lower it to see ticks seconds apart.
 */
export const DEFAULT_MIN_INTERVAL_SECONDS = 60;
export const MIN_INTERVAL_ENV = 'OPENVIBER_JOB_MIN_INTERVAL_SECONDS';
const MAX_MIN_INTERVAL_SECONDS = 86_400;

/** How many ticks ahead the gaps are measured, and how far: a pattern repeats within a year. */
export const FLOOR_TICKS = 1_000;
const FLOOR_HORIZON_MS = 366 * 86_400_000;

/** The gateway's floor: its option, else the environment variable, else a minute. */
export function minIntervalSeconds(option: number | undefined, env: NodeJS.ProcessEnv = process.env): number {
  const given = option ?? env[MIN_INTERVAL_ENV]?.trim();
  if (given === undefined || given === '') return DEFAULT_MIN_INTERVAL_SECONDS;
  const seconds = Number(given);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_MIN_INTERVAL_SECONDS) {
    // Said at start, not at the first job: a gateway with a floor it cannot read does not start.
    throw new Error(
      `${option === undefined ? MIN_INTERVAL_ENV : 'jobMinIntervalSeconds'}: "${given}" is not a whole number of seconds from 1 to ${MAX_MIN_INTERVAL_SECONDS}`,
    );
  }
  return seconds;
}

/**
 * Refuses (400 naming `cron`) a schedule two of whose next FLOOR_TICKS ticks, within a year from
 * `now`, are closer than `floorSeconds`, naming the two ticks.
 */
export function checkFloor(schedule: Schedule, floorSeconds: number, now = new Date()): void {
  const horizon = now.getTime() + FLOOR_HORIZON_MS;
  let previous: Date | undefined;
  let after = now;
  // In batches, so a yearly pattern does not have croner look for a thousand years of ticks.
  for (let seen = 0; seen < FLOOR_TICKS; ) {
    const batch = nextTicks(schedule, after, Math.min(100, FLOOR_TICKS - seen));
    if (batch.length === 0) return;
    for (const tick of batch) {
      if (tick.getTime() > horizon) return;
      if (previous && tick.getTime() - previous.getTime() < floorSeconds * 1000) {
        const gap = (tick.getTime() - previous.getTime()) / 1000;
        throw new OpenViberError(
          'validation_failed',
          `cron: "${schedule.cron}" fires ${gap} s apart (${previous.toISOString()}, then ${tick.toISOString()}); a job may fire at most once every ${floorSeconds} s on this gateway (${MIN_INTERVAL_ENV})`,
          400,
        );
      }
      previous = tick;
    }
    seen += batch.length;
    after = batch[batch.length - 1]!;
  }
}
