// A cron pattern in words for the common shapes ("Every day at 03:00"); null for the rest, which
// the board and `viber jobs` show as the pattern alone. Only what is sure is said: anything unusual gets null.

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const NICKNAMES: Record<string, string> = {
  '@yearly': 'Every year on Jan 1 at 00:00',
  '@annually': 'Every year on Jan 1 at 00:00',
  '@monthly': 'Every month on day 1 at 00:00',
  '@weekly': 'Every Sunday at 00:00',
  '@daily': 'Every day at 00:00',
  '@midnight': 'Every day at 00:00',
  '@hourly': 'Every hour at :00',
};

const number = (field: string | undefined): number | null =>
  field && /^\d{1,2}$/.test(field) ? Number(field) : null;
const two = (value: number) => String(value).padStart(2, '0');
const step = (field: string | undefined): number | null => {
  const match = field?.match(/^\*\/(\d{1,2})$/);
  return match ? Number(match[1]) : null;
};

export function cronInWords(pattern: string): string | null {
  const trimmed = pattern.trim();
  if (trimmed.startsWith('@')) return NICKNAMES[trimmed.toLowerCase()] ?? null;
  const fields = trimmed.split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) return null;
  const [second, minute, hour, day, month, weekday] = fields.length === 6 ? fields : ['0', ...fields];
  const sec = number(second);
  const min = number(minute);
  const hr = number(hour);
  const rest = `${day} ${month} ${weekday}`;
  const clock =
    min !== null && hr !== null && sec !== null ? `${two(hr)}:${two(min)}${sec ? `:${two(sec)}` : ''}` : null;

  if (fields.length === 6 && step(second) && minute === '*' && hour === '*' && rest === '* * *')
    return `Every ${step(second)} seconds`;
  if (sec === 0 && step(minute) && hour === '*' && rest === '* * *') return `Every ${step(minute)} minutes`;
  if (sec === 0 && minute === '*' && hour === '*' && rest === '* * *') return 'Every minute';
  if (sec === 0 && min !== null && hour === '*' && rest === '* * *') return `Every hour at :${two(min)}`;
  if (!clock) return null;
  if (rest === '* * *') return `Every day at ${clock}`;
  if (day === '*' && month === '*' && (weekday === '1-5' || weekday?.toUpperCase() === 'MON-FRI'))
    return `Weekdays at ${clock}`;
  const dow = number(weekday);
  if (day === '*' && month === '*' && dow !== null && dow <= 7) return `Every ${DAYS[dow]} at ${clock}`;
  const dom = number(day);
  if (dom !== null && month === '*' && weekday === '*') return `Every month on day ${dom} at ${clock}`;
  const mon = number(month);
  if (dom !== null && mon !== null && mon >= 1 && mon <= 12 && weekday === '*')
    return `Every year on ${MONTHS[mon - 1]} ${dom} at ${clock}`;
  return null;
}
