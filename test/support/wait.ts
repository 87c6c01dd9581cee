/** Waiting helpers for tests that must be deterministic on a loaded machine: poll a condition
 * with a deadline instead of sleeping a fixed time. */

export interface WaitOptions {
  timeoutMs?: number;
  /** A fixed polling interval; by default polls soon, then less often (5 ms growing to 100 ms). */
  intervalMs?: number;
  /** Named in the timeout error, so a failure says what never happened. */
  description?: string;
}

const FIRST_INTERVAL_MS = 5;
const LONGEST_INTERVAL_MS = 100;

/**
 * Polls `condition` until it returns a value other than false, undefined or null, and returns that
 * value. A condition that throws is retried; its last error is reported on timeout. The one poll
 * helper of the tests: in-process states settle within milliseconds, so it looks again at once, and
 * a wait on another process (often a REST call per look) is not hammered for seconds.
 */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  { timeoutMs = 30_000, intervalMs, description = 'condition' }: WaitOptions = {},
): Promise<Exclude<T, false | undefined | null>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  let interval = intervalMs ?? FIRST_INTERVAL_MS;
  for (;;) {
    try {
      const value = await condition();
      if (value !== false && value !== undefined && value !== null)
        return value as Exclude<T, false | undefined | null>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const cause = lastError instanceof Error ? `: last error: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}${cause}`);
    }
    await sleep(interval);
    if (intervalMs === undefined) interval = Math.min(interval * 1.5, LONGEST_INTERVAL_MS);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A one-shot gate: `wait()` resolves once `open()` is called (at once if it already was). */
export interface Gate {
  wait(): Promise<void>;
  open(): void;
  readonly isOpen: boolean;
}

export function createGate(): Gate {
  let release!: () => void;
  let isOpen = false;
  const opened = new Promise<void>((resolve) => {
    release = resolve;
  });
  return {
    wait: () => opened,
    open() {
      isOpen = true;
      release();
    },
    get isOpen() {
      return isOpen;
    },
  };
}

/** Rejects with a named error if `promise` does not settle within `timeoutMs`. */
export async function withTimeout<T>(
  promise: Promise<T>,
  timeoutMs: number,
  description: string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms: ${description}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
