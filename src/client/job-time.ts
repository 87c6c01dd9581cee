// A job's ticks in the job's own time zone ("Mon 6 Jan 03:00 Europe/Berlin"): the zone its cron
// pattern means, whatever zone the viewer is in. The viewer's own time goes beside it (title,
// and a second line where it reads differently), so both are at hand.

/** The viewer's zone, as the browser (or Node) names it. */
export const viewerZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

/** Weekday, day, month, time (seconds when not :00, the year when not this one) in `timeZone`. */
export function tickText(iso: string, timeZone: string, now = new Date()): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  const year = (date: Date) => new Intl.DateTimeFormat('en-GB', { timeZone, year: 'numeric' }).format(date);
  return new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    ...(year(at) !== year(now) ? { year: 'numeric' } : {}),
    hour: '2-digit',
    minute: '2-digit',
    ...(at.getUTCSeconds() !== 0 ? { second: '2-digit' } : {}),
    hourCycle: 'h23',
  })
    .format(at)
    .replace(/,/g, '');
}

export interface JobTimeText {
  /** In the job's zone, with the zone: what the page shows. */
  zoned: string;
  /** In the viewer's zone, with it named: the title. */
  local: string;
  /** The viewer's time where it reads differently from the job's; null where they agree. */
  secondary: string | null;
}

export function jobTime(iso: string, jobZone: string, localZone = viewerZone()): JobTimeText {
  const inJob = tickText(iso, jobZone);
  const inViewer = tickText(iso, localZone);
  return {
    zoned: `${inJob} ${jobZone}`,
    local: `${inViewer} ${localZone} (your time)`,
    secondary: inViewer === inJob ? null : `${inViewer} your time`,
  };
}
