import { randomBytes } from 'node:crypto';
import { CONNECT_MAX_SKEW_MS } from '../../protocol/index.ts';

const MAX_OUTSTANDING = 100_000;

export type NonceUse = 'ok' | 'replayed' | 'unknown';

/**
 * The nonces this gateway handed out: each is good once, for a short while. A used one is
 * remembered until it would have lapsed, so a replay is told apart from a nonce never issued.
 */
export class NonceBook {
  readonly #issued = new Map<string, number>();
  readonly #used = new Map<string, number>();
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(ttlMs = CONNECT_MAX_SKEW_MS, now: () => number = Date.now) {
    this.#ttlMs = ttlMs;
    this.#now = now;
  }

  issue(): string {
    this.#sweep();
    // Bounded under a flood of challenges nobody answers: the oldest outstanding ones go first.
    if (this.#issued.size >= MAX_OUTSTANDING) this.#issued.delete(this.#issued.keys().next().value!);
    const nonce = randomBytes(24).toString('base64url');
    this.#issued.set(nonce, this.#now() + this.#ttlMs);
    return nonce;
  }

  /** Uses a nonce up; `expected` (the one sent on this socket) must match when given. */
  use(nonce: string, expected?: string): NonceUse {
    this.#sweep();
    if (this.#used.has(nonce)) return 'replayed';
    if (expected !== undefined && nonce !== expected) return 'unknown';
    const expiresAt = this.#issued.get(nonce);
    if (expiresAt === undefined) return 'unknown';
    this.#issued.delete(nonce);
    this.#used.set(nonce, expiresAt);
    return 'ok';
  }

  /** A nonce whose socket closed before it was used: forget it (it can no longer be answered). */
  drop(nonce: string): void {
    this.#issued.delete(nonce);
  }

  #sweep(): void {
    const now = this.#now();
    for (const book of [this.#issued, this.#used]) {
      for (const [nonce, expiresAt] of book) {
        if (expiresAt > now) break;
        book.delete(nonce);
      }
    }
  }
}
