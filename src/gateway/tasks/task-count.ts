import { CHANGES } from '../bus/gateway-topics.ts';
import type { TopicBus } from '../bus/topic-bus.ts';
import type { TasksStore } from '../store/index.ts';

/**
 * How many tasks the store holds, for `/health`: counted once when the gateway starts, then kept
 * by the change feed (tasks are never deleted, so every `task.created` adds one). Reading it
 * costs nothing, however many tasks there are. Open it before the gateway listens: nothing
 * creates a task between the count and the subscription then.
 */
export class TaskCount {
  #count: number;
  readonly #unsubscribe: () => void;

  private constructor(count: number, store: Pick<TasksStore, 'countTasks'>, bus: TopicBus) {
    this.#count = count;
    this.#unsubscribe = bus.subscribe(CHANGES, (change) => {
      if (change.type === 'task.created') this.#count += 1;
      // A networked bus may have missed other gateways' tasks: counted again (a change heard while
      // the count runs may be left out of it, until the next resync).
      else if (change.type === 'bus.resynced') {
        store.countTasks().then(
          (counted) => (this.#count = counted),
          () => {},
        );
      }
    });
  }

  static async open(store: Pick<TasksStore, 'countTasks'>, bus: TopicBus): Promise<TaskCount> {
    return new TaskCount(await store.countTasks(), store, bus);
  }

  get value(): number {
    return this.#count;
  }

  close(): void {
    this.#unsubscribe();
  }
}
