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

  private constructor(count: number, bus: TopicBus) {
    this.#count = count;
    this.#unsubscribe = bus.subscribe(CHANGES, (change) => {
      if (change.type === 'task.created') this.#count += 1;
    });
  }

  static async open(store: Pick<TasksStore, 'countTasks'>, bus: TopicBus): Promise<TaskCount> {
    return new TaskCount(await store.countTasks(), bus);
  }

  get value(): number {
    return this.#count;
  }

  close(): void {
    this.#unsubscribe();
  }
}
