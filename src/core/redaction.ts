/**
 * Removes secret values from text before anyone sees it: setup logs, tool outputs the model reads,
 * stream chunks, session files, error messages. Shared by the daemon and the agent, so both blank
 * the same forms of a value the same way.
 */
export interface Redactor {
  /** False when there is nothing to redact (every call is then the identity). */
  readonly active: boolean;
  redact(text: string): string;
  /** A copy of a JSON-like value with every string (and object key) redacted. */
  redactDeep<T>(value: T): T;
}

/** Pieces shorter than this are not searched for: they would blank ordinary words. */
const MIN_PIECE_LENGTH = 4;

/** How a redacted value reads: it names the variable, never the value. */
export const redactedMarker = (name: string): string => `[redacted:${name}]`;

/**
 * The forms a value takes in output: as is, JSON-escaped, URL-encoded, base64, and each line of a
 * multi-line value on its own (line-based logs split it).
 */
function formsOf(value: string): string[] {
  const forms = new Set<string>([value]);
  forms.add(JSON.stringify(value).slice(1, -1));
  forms.add(encodeURIComponent(value));
  forms.add(Buffer.from(value).toString('base64').replace(/=+$/, ''));
  for (const line of value.split(/\r?\n/)) forms.add(line.trim());
  return [...forms].filter((form) => form.length >= MIN_PIECE_LENGTH);
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A redactor for `secrets` (name -> value). Longer forms win, so a value containing another
 * secret is blanked whole. */
export function createRedactor(secrets: Readonly<Record<string, string>>): Redactor {
  const byForm = new Map<string, string>();
  for (const [name, value] of Object.entries(secrets)) {
    for (const form of formsOf(value)) if (!byForm.has(form)) byForm.set(form, name);
  }
  if (byForm.size === 0) return NO_REDACTION;
  const forms = [...byForm.keys()].sort((a, b) => b.length - a.length);
  const pattern = new RegExp(forms.map(escapeRegExp).join('|'), 'g');
  const redact = (text: string): string =>
    text.replace(pattern, (match) => redactedMarker(byForm.get(match) ?? 'secret'));
  const redactDeep = <T>(value: T): T => deepMap(value, redact) as T;
  return { active: true, redact, redactDeep };
}

export const NO_REDACTION: Redactor = {
  active: false,
  redact: (text) => text,
  redactDeep: (value) => value,
};

/** Both redactors in turn: an environment's secrets and the viber's own credentials. */
export function combineRedactors(first: Redactor, second: Redactor): Redactor {
  if (!first.active) return second;
  if (!second.active) return first;
  const redact = (text: string): string => second.redact(first.redact(text));
  return { active: true, redact, redactDeep: <T>(value: T): T => deepMap(value, redact) as T };
}

function deepMap(value: unknown, redact: (text: string) => string): unknown {
  if (typeof value === 'string') return redact(value);
  if (Array.isArray(value)) return value.map((item) => deepMap(item, redact));
  if (value !== null && typeof value === 'object' && isPlainObject(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [redact(key), deepMap(item, redact)]),
    );
  }
  if (value instanceof Error) return new Error(redact(value.message));
  return value;
}

function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** A URL with its password replaced by `***` (a store or bus URL in a message, a log or `viber config get`). */
export function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(an unparsable URL)';
  }
}
