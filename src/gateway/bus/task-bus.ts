import type { TaskStatus } from '../../protocol/index.ts';

/**
 * What the gateway announces about a task after it is stored: a new log row, or a status change
 * the gateway made itself (stop while offline, grace period over). Listeners treat it as a hint
 * and read the durable log for anything they missed.
 */
export type TaskBusMessage =
  | { kind: 'event'; seq: number; type: string; payload: string }
  | { kind: 'status'; status: TaskStatus };

export type TaskBusListener = (message: TaskBusMessage) => void;

/** Publish/subscribe per task. In-process today; Redis pub/sub implements it when gateways scale out. */
export interface TaskBus {
  publish(taskId: string, message: TaskBusMessage): void;
  /** Returns the unsubscribe function. */
  subscribe(taskId: string, listener: TaskBusListener): () => void;
  /** Subscribers of a task in this process (metrics, leak checks). */
  listenerCount(taskId: string): number;
}

export class InProcessTaskBus implements TaskBus {
  readonly #listeners = new Map<string, Set<TaskBusListener>>();

  publish(taskId: string, message: TaskBusMessage): void {
    const listeners = this.#listeners.get(taskId);
    if (!listeners) return;
    for (const listener of [...listeners]) listener(message);
  }

  listenerCount(taskId: string): number {
    return this.#listeners.get(taskId)?.size ?? 0;
  }

  subscribe(taskId: string, listener: TaskBusListener): () => void {
    let listeners = this.#listeners.get(taskId);
    if (!listeners) {
      listeners = new Set();
      this.#listeners.set(taskId, listeners);
    }
    listeners.add(listener);
    return () => {
      const current = this.#listeners.get(taskId);
      if (!current) return;
      current.delete(listener);
      if (current.size === 0) this.#listeners.delete(taskId);
    };
  }
}
