import { Cron } from 'croner';
import { OpenViberError } from '../../core/errors.ts';

/** A job's schedule: a cron pattern (5 fields, or 6 with seconds first) in an IANA time zone. */
export interface Schedule {
  cron: string;
  timeZone: string;
}

/** How many ticks of a gap are counted one by one (a job every second, down for a week). */
export const MAX_COUNTED_TICKS = 10_000;

const invalid = (field: string, reason: string) =>
  new OpenViberError('validation_failed', `${field}: ${reason}`, 400);

/**
 * Checks a schedule the way the scheduler will run it and returns it with the zone as Intl names
 * it (`europe/berlin` becomes `Europe/Berlin`). The 400 names the field and says why, in croner's
 * words for the pattern. A one-shot date (croner takes `2030-01-01T00:00:00` too) and a 7-field
 * pattern with a year are refused: a job repeats; a pattern with no time left to match is refused.
 */
export function checkSchedule(cron: string, timeZone: string, now = new Date()): Schedule {
  let zone: string;
  try {
    zone = new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
  } catch {
    throw invalid('timeZone', `"${timeZone}" is not an IANA time zone (for example UTC or Europe/Berlin)`);
  }
  const pattern = cron.trim().replace(/\s+/g, ' ');
  if (!pattern.startsWith('@')) {
    const fields = pattern.split(' ').length;
    if (fields !== 5 && fields !== 6) {
      throw invalid(
        'cron',
        `"${pattern}" has ${fields} field${fields === 1 ? '' : 's'}; give 5 (minute hour day-of-month month day-of-week) or 6 (second first)`,
      );
    }
  }
  let job: Cron;
  try {
    job = new Cron(pattern, { timezone: zone, paused: true, mode: '5-or-6-parts' });
  } catch (error) {
    throw invalid('cron', `"${pattern}" is not a valid pattern: ${reasonOf(error)}`);
  }
  let next: Date | null;
  try {
    next = job.nextRun(now);
  } catch (error) {
    throw invalid('timeZone', `"${zone}" cannot be used: ${reasonOf(error)}`);
  }
  if (!next) throw invalid('cron', `"${pattern}" never matches a time from now on`);
  return { cron: pattern, timeZone: zone };
}

/** croner's message without its class prefix (`CronPattern: `). */
function reasonOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/^Cron[A-Za-z]*:\s*/, '');
}

function cronOf(schedule: Schedule): Cron {
  return new Cron(schedule.cron, { timezone: schedule.timeZone, paused: true, mode: '5-or-6-parts' });
}

/** The next `count` ticks strictly after `after`. */
export function nextTicks(schedule: Schedule, after: Date, count: number): Date[] {
  return cronOf(schedule).nextRuns(count, after);
}

/** The first tick strictly after `after`, or null when the pattern has none left. */
export function nextTick(schedule: Schedule, after: Date): Date | null {
  return cronOf(schedule).nextRun(after);
}

/** The ticks in (after, until]: how many (counted up to MAX_COUNTED_TICKS), and the last two. */
export interface DueTicks {
  count: number;
  /** True when there were more than `count` (the count stopped at MAX_COUNTED_TICKS). */
  more: boolean;
  latest: Date | null;
  /** The tick before `latest` in the range, or null when `latest` is the only one. */
  beforeLatest: Date | null;
}

export function dueTicks(schedule: Schedule, after: Date, until: Date): DueTicks {
  const cron = cronOf(schedule);
  let count = 0;
  let cursor = after;
  for (;;) {
    const next = cron.nextRun(cursor);
    if (!next || next.getTime() > until.getTime()) break;
    count += 1;
    cursor = next;
    if (count >= MAX_COUNTED_TICKS) break;
  }
  if (count === 0) return { count, more: false, latest: null, beforeLatest: null };
  // The last two ticks up to `until`, counted back from it (the count may have stopped short).
  const [latest, previous] = cron.previousRuns(2, new Date(until.getTime() + 1));
  const beyond = count >= MAX_COUNTED_TICKS ? cron.nextRun(cursor) : null;
  const more = beyond !== null && beyond.getTime() <= until.getTime();
  return {
    count,
    more,
    latest: latest ?? null,
    beforeLatest: count > 1 && previous && previous.getTime() > after.getTime() ? previous : null,
  };
}
