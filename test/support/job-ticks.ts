/**
 * A 6-field cron pattern (second first) that matches one second, at least `secondsAhead` from now,
 * in UTC, and that second as ISO: a job with it runs once (the next match is a year later).
 */
export function oneSecondAhead(secondsAhead: number): { cron: string; at: string } {
  const at = new Date(Math.ceil((Date.now() + secondsAhead * 1000) / 1000) * 1000);
  const fields = [
    at.getUTCSeconds(),
    at.getUTCMinutes(),
    at.getUTCHours(),
    at.getUTCDate(),
    at.getUTCMonth() + 1,
  ];
  return { cron: `${fields.join(' ')} *`, at: at.toISOString() };
}
