import type { ViberConnection } from './viber-connection.ts';

/**
 * The live daemon connections of this gateway process, one per viber; with several gateways,
 * `elsewhere` says whether a viber is connected to another one (ViberLocations).
 */
export class ConnectionRegistry {
  readonly #byViber = new Map<string, ViberConnection>();
  #elsewhere: (viberId: string) => boolean = () => false;

  /** How to know a viber connected to another gateway (set once, by the scale-out wiring). */
  lookElsewhere(elsewhere: (viberId: string) => boolean): void {
    this.#elsewhere = elsewhere;
  }

  get(viberId: string): ViberConnection | undefined {
    return this.#byViber.get(viberId);
  }

  /** Connected here, or to another gateway sharing this one's bus. */
  isOnline(viberId: string): boolean {
    return this.#byViber.has(viberId) || this.#elsewhere(viberId);
  }

  /** Registers `connection`; returns the older connection of the same viber it replaces, if any. */
  add(connection: ViberConnection): ViberConnection | undefined {
    const previous = this.#byViber.get(connection.viberId);
    this.#byViber.set(connection.viberId, connection);
    return previous === connection ? undefined : previous;
  }

  /** Forgets `connection` if it is still the current one; true when it was. */
  remove(connection: ViberConnection): boolean {
    if (this.#byViber.get(connection.viberId) !== connection) return false;
    this.#byViber.delete(connection.viberId);
    return true;
  }

  get size(): number {
    return this.#byViber.size;
  }

  all(): IterableIterator<ViberConnection> {
    return this.#byViber.values();
  }
}
