import type { BoardEvent } from '../../protocol/index.ts';

export type BoardEventListener = (event: BoardEvent) => void;

/**
 * Fan-out of board events to the open `/api/events` connections of this gateway process.
 * In-process today; with several gateways it rides the same bus as task events (Redis pub/sub).
 */
export class BoardEventHub {
  readonly #listeners = new Set<BoardEventListener>();

  publish(event: BoardEvent): void {
    for (const listener of [...this.#listeners]) listener(event);
  }

  /** Returns the unsubscribe function. */
  subscribe(listener: BoardEventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get size(): number {
    return this.#listeners.size;
  }
}
