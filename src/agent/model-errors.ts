import { APICallError, RetryError } from 'ai';

const MAX_MESSAGE_CHARS = 500;

/**
 * One line an operator can act on for anything a model call throws: HTTP status and endpoint for
 * provider errors, the network cause for unreachable servers, the parse failure for garbage.
 * URLs lose their query string (some providers put keys there).
 */
export function describeModelError(error: unknown): string {
  if (RetryError.isInstance(error)) {
    return `${describeModelError(error.lastError)} (gave up after ${error.errors.length} attempts)`;
  }
  if (APICallError.isInstance(error)) {
    const where = withoutQuery(error.url);
    const cause = networkCause(error.cause);
    if (error.statusCode === undefined) {
      return clip(`model provider unreachable at ${where}: ${cause ?? error.message}`);
    }
    return clip(`model provider error: HTTP ${error.statusCode} from ${where}: ${error.message}`);
  }
  const cause = networkCause(error);
  if (cause) return clip(`model provider unreachable: ${cause}`);
  if (error instanceof Error) return clip(`model call failed: ${error.message || error.name}`);
  return clip(`model call failed: ${String(error)}`);
}

/** The errno of a failed fetch (ECONNREFUSED, ENOTFOUND, ...), however deeply it is wrapped. */
function networkCause(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return `${code} (${current.message})`;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function withoutQuery(url: string): string {
  const index = url.indexOf('?');
  return index === -1 ? url : url.slice(0, index);
}

function clip(text: string): string {
  return text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS - 1)}…` : text;
}
