import { describe, expect, it } from 'vitest';
import { cronInWords } from './cron-words.ts';
import { jobTime, tickText } from './job-time.ts';

// A job's schedule as the board and `viber jobs` say it (docs/jobs.md, "On the board"): the
// pattern in words where it is a common shape, and each tick in the job's own zone.

describe('a tick in the job zone', () => {
  const now = new Date('2026-12-02T12:00:00Z');

  it('reads the instant as the job zone reads it, with seconds only when there are some', () => {
    expect(tickText('2026-12-03T02:00:00.000Z', 'Europe/Berlin', now)).toBe('Thu 3 Dec 03:00');
    expect(tickText('2026-12-03T02:00:00.000Z', 'America/New_York', now)).toBe('Wed 2 Dec 21:00');
    expect(tickText('2026-12-03T02:00:30.000Z', 'UTC', now)).toBe('Thu 3 Dec 02:00:30');
  });

  it('names the year of a tick in another year, and keeps what is not a time as it is', () => {
    expect(tickText('2027-01-04T08:30:00.000Z', 'UTC', now)).toBe('Mon 4 Jan 2027 08:30');
    expect(tickText('not a time', 'UTC', now)).toBe('not a time');
  });

  it("puts the viewer's time beside the job's only where it reads differently", () => {
    const apart = jobTime('2026-12-03T02:00:00.000Z', 'Europe/Berlin', 'America/New_York');
    expect(apart.zoned).toMatch(/ 03:00 Europe\/Berlin$/);
    expect(apart.local).toMatch(/ 21:00 America\/New_York \(your time\)$/);
    expect(apart.secondary).toMatch(/ 21:00 your time$/);
    expect(jobTime('2026-12-03T02:00:00.000Z', 'UTC', 'Etc/UTC').secondary).toBeNull();
  });
});

describe('a pattern in words', () => {
  it.each([
    ['0 3 * * *', 'Every day at 03:00'],
    ['30 8 * * 1-5', 'Weekdays at 08:30'],
    ['*/15 * * * *', 'Every 15 minutes'],
    ['15 * * * *', 'Every hour at :15'],
    ['0 */15 * * * *', 'Every 15 minutes'],
    ['*/10 * * * * *', 'Every 10 seconds'],
    ['0 9 * * 1', 'Every Monday at 09:00'],
    ['0 0 1 * *', 'Every month on day 1 at 00:00'],
    ['0 12 25 12 *', 'Every year on Dec 25 at 12:00'],
    ['@daily', 'Every day at 00:00'],
  ])('%s is "%s"', (pattern, words) => {
    expect(cronInWords(pattern)).toBe(words);
  });

  it('says nothing of a shape it is not sure of', () => {
    for (const pattern of ['0 3 * * 1,3', '0 3-5 * * *', '0 3 L * *', '@reboot', 'nonsense']) {
      expect(cronInWords(pattern), pattern).toBeNull();
    }
  });
});
