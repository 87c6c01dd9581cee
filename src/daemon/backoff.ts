import { DEFAULT_TIMINGS } from '../protocol/index.ts';

export interface BackoffOptions {
  /** First delay (ms). */
  baseMs?: number;
  /** Largest delay (ms). */
  maxMs?: number;
}

/**
 * Jittered exponential backoff for reconnects (DESIGN.md, rule 2). "Equal jitter": the delay for
 * attempt n is half of min(max, base * 2^n) plus a random share of the other half, so a fleet of
 * daemons that lost the same gateway spreads out, yet no daemon retries in a tight loop.
 */
export class Backoff {
  readonly #baseMs: number;
  readonly #maxMs: number;
  readonly #random: () => number;
  #attempt = 0;

  constructor(options: BackoffOptions = {}, random: () => number = Math.random) {
    this.#baseMs = Math.max(1, options.baseMs ?? DEFAULT_TIMINGS.reconnectBaseMs);
    this.#maxMs = Math.max(this.#baseMs, options.maxMs ?? DEFAULT_TIMINGS.reconnectMaxMs);
    this.#random = random;
  }

  /** The delay before the next attempt; each call counts as one attempt. */
  next(): number {
    // 2^30 already exceeds any sane cap; clamping the exponent keeps the arithmetic finite.
    const ceiling = Math.min(this.#maxMs, this.#baseMs * 2 ** Math.min(this.#attempt, 30));
    this.#attempt += 1;
    const half = ceiling / 2;
    return Math.round(half + this.#random() * half);
  }

  /** After a connection the gateway accepted: the next failure starts from the base delay again. */
  reset(): void {
    this.#attempt = 0;
  }

  get attempts(): number {
    return this.#attempt;
  }
}
