import { ConnectionRegistry } from '../ws/connection-registry.ts';
import type { ViberConnection } from '../ws/viber-connection.ts';
import type { BoardEventPublisher } from './board-event-publisher.ts';

/**
 * The connection registry, announcing when a viber goes offline. (Coming online is announced by
 * the store when the daemon's `connected` is recorded, with its fresh ViberInfo.)
 */
export class ObservedConnectionRegistry extends ConnectionRegistry {
  readonly #events: BoardEventPublisher;

  constructor(events: BoardEventPublisher) {
    super();
    this.#events = events;
  }

  override remove(connection: ViberConnection): boolean {
    const removed = super.remove(connection);
    if (removed) this.#events.viberChanged(connection.viberId);
    return removed;
  }
}
