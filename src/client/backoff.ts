import { DEFAULT_TIMINGS } from '../protocol/index.ts';

export interface BackoffOptions {
  /** First delay (ms); default DEFAULT_TIMINGS.reconnectBaseMs. */
  baseMs?: number;
  /** Largest delay (ms); default DEFAULT_TIMINGS.reconnectMaxMs. */
  maxMs?: number;
  /** A number in [0, 1); tests pin it. */
  random?: () => number;
}

/**
 * Jittered exponential backoff for every reconnect a client makes (task streams, board events,
 * terminals; DESIGN.md, rule 2). "Equal jitter": attempt n waits half of min(max, base * 2^n)
 * plus a random share of the other half, so clients that lost the same gateway spread out, yet
 * none retries in a tight loop.
 */
export class Backoff {
  readonly #baseMs: number;
  readonly #maxMs: number;
  readonly #random: () => number;
  #attempt = 0;

  constructor(options: BackoffOptions = {}) {
    this.#baseMs = Math.max(1, options.baseMs ?? DEFAULT_TIMINGS.reconnectBaseMs);
    this.#maxMs = Math.max(this.#baseMs, options.maxMs ?? DEFAULT_TIMINGS.reconnectMaxMs);
    this.#random = options.random ?? Math.random;
  }

  /** The delay before the next attempt; each call counts as one attempt. */
  next(): number {
    // 2^30 already exceeds any sane cap; clamping the exponent keeps the arithmetic finite.
    const ceiling = Math.min(this.#maxMs, this.#baseMs * 2 ** Math.min(this.#attempt, 30));
    this.#attempt += 1;
    const half = ceiling / 2;
    return Math.round(half + this.#random() * half);
  }

  /** After a connection that worked: the next failure starts from the base delay again. */
  reset(): void {
    this.#attempt = 0;
  }

  /** Attempts counted since the last reset. */
  get attempts(): number {
    return this.#attempt;
  }
}

/**
 * Waits `ms`, or rejects with the signal's reason as soon as it aborts: a follower that is told to
 * stop never sits out its backoff.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
