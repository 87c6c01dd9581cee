import { type TaskStatus, TaskStatusSchema } from '../../protocol/index.ts';
import { CHANGES } from '../bus/gateway-topics.ts';
import type { TopicBus } from '../bus/topic-bus.ts';
import type { TasksStore } from '../store/index.ts';

/**
 * How many tasks the store holds in each state, for `/metrics`: counted once when the gateway
 * starts, then kept by the change feed (a created task adds one to its state; a change of state
 * moves one). Reading it costs nothing however many tasks there are. Open it before the gateway
 * listens: nothing changes a task between the count and the subscription then.
 */
export class TaskStates {
  readonly #counts: Map<TaskStatus, number>;
  readonly #unsubscribe: () => void;

  private constructor(
    counts: Partial<Record<TaskStatus, number>>,
    store: Pick<TasksStore, 'countTasksByStatus'>,
    bus: TopicBus,
  ) {
    this.#counts = new Map();
    this.#set(counts);
    this.#unsubscribe = bus.subscribe(CHANGES, (change) => {
      if (change.type === 'task.created') this.#add(change.task.status, 1);
      // A networked bus may have missed other gateways' changes: counted again (as TaskCount).
      else if (change.type === 'bus.resynced') {
        store.countTasksByStatus().then(
          (counted) => this.#set(counted),
          () => {},
        );
      } else if (change.type === 'task.changed' && change.task.status !== change.previousStatus) {
        this.#add(change.previousStatus, -1);
        this.#add(change.task.status, 1);
      }
    });
  }

  static async open(store: Pick<TasksStore, 'countTasksByStatus'>, bus: TopicBus): Promise<TaskStates> {
    return new TaskStates(await store.countTasksByStatus(), store, bus);
  }

  /** Every state, with a count (0 for none). */
  entries(): IterableIterator<[TaskStatus, number]> {
    return this.#counts.entries();
  }

  close(): void {
    this.#unsubscribe();
  }

  #set(counts: Partial<Record<TaskStatus, number>>): void {
    for (const status of TaskStatusSchema.options) this.#counts.set(status, counts[status] ?? 0);
  }

  #add(status: TaskStatus, delta: number): void {
    this.#counts.set(status, (this.#counts.get(status) ?? 0) + delta);
  }
}
