/**
 * Failed authentications, counted per key in a sliding window: `source:<address>` for credentials
 * no device is known by (a guess), `device:<id>` for a device's own failures (a stale or revoked
 * token of a known device, a failing signature of a paired key). Keeping them apart means one
 * device's stale token never locks out another device, even from the same address.
 */
export class FailureLimiter {
  readonly #failures = new Map<string, number[]>();
  readonly #max: number;
  readonly #windowMs: number;
  readonly #now: () => number;

  constructor(options: { max?: number; windowMs?: number; now?: () => number } = {}) {
    this.#max = options.max ?? 20;
    this.#windowMs = options.windowMs ?? 60_000;
    this.#now = options.now ?? Date.now;
  }

  /** Milliseconds until `key` may try again, or 0 when it may now. */
  retryAfter(key: string): number {
    const recent = this.#recent(key);
    if (recent.length < this.#max) return 0;
    return Math.max(1, recent[0]! + this.#windowMs - this.#now());
  }

  fail(key: string): void {
    const recent = this.#recent(key);
    recent.push(this.#now());
    this.#failures.set(key, recent);
    if (this.#failures.size > 10_000) this.#evictOldest();
  }

  /** A success clears the key's failures. */
  succeed(key: string): void {
    this.#failures.delete(key);
  }

  #recent(key: string): number[] {
    const since = this.#now() - this.#windowMs;
    return (this.#failures.get(key) ?? []).filter((at) => at > since);
  }

  /** Bounded memory under a flood of distinct sources: forget the oldest keys first. */
  #evictOldest(): void {
    for (const key of [...this.#failures.keys()].slice(0, 1_000)) this.#failures.delete(key);
  }
}

export const sourceKey = (address: string): string => `source:${address}`;
export const deviceKey = (deviceId: string): string => `device:${deviceId}`;
