/**
 * Splits a text into parts of at most `limit` characters for a platform's message limit, at the
 * last paragraph break that fits, else the last line break, else the last space, else hard. A
 * part never starts or ends with the break it was cut at; no character is lost but those breaks.
 */
export function splitText(text: string, limit: number): string[] {
  if (limit < 1) throw new Error('limit must be positive');
  const parts: string[] = [];
  let rest = text;
  while (rest.length > limit) {
    const window = rest.slice(0, limit + 1);
    const cut = lastBreak(window, '\n\n') ?? lastBreak(window, '\n') ?? lastBreak(window, ' ');
    if (cut) {
      parts.push(rest.slice(0, cut.at));
      rest = rest.slice(cut.at + cut.length);
    } else {
      // No break in the window: cut hard, never inside a surrogate pair.
      const at = isHighSurrogate(rest.charCodeAt(limit - 1)) ? limit - 1 : limit;
      parts.push(rest.slice(0, at));
      rest = rest.slice(at);
    }
  }
  if (rest.length > 0 || parts.length === 0) parts.push(rest);
  return parts.filter((part, index) => part.length > 0 || index === 0);
}

function lastBreak(window: string, separator: string): { at: number; length: number } | undefined {
  const at = window.lastIndexOf(separator);
  // A break at the very start would make an empty part: look for a later one only.
  return at > 0 ? { at, length: separator.length } : undefined;
}

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;
