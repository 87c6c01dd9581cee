/**
 * A bounded memory of recently seen ids (gateway commandIds, finished taskIds). The gateway
 * redelivers a command until it is acknowledged (DESIGN.md, rule 4), so a duplicate arrives soon
 * after the original; remembering the most recent `capacity` ids is enough to act at most once
 * while keeping memory flat over a daemon's lifetime. The oldest id is forgotten first.
 */
export class RecentIds {
  readonly #capacity: number;
  // A Set iterates in insertion order, which makes it a FIFO for eviction.
  readonly #ids = new Set<string>();

  constructor(capacity = 10_000) {
    this.#capacity = Math.max(1, capacity);
  }

  has(id: string): boolean {
    return this.#ids.has(id);
  }

  /** Remembers `id`; returns false when it was already known (a duplicate). */
  add(id: string): boolean {
    if (this.#ids.has(id)) return false;
    this.#ids.add(id);
    if (this.#ids.size > this.#capacity) {
      const oldest = this.#ids.values().next().value;
      if (oldest !== undefined) this.#ids.delete(oldest);
    }
    return true;
  }

  get size(): number {
    return this.#ids.size;
  }
}
