import type { Logger } from '../../core/logger.ts';

/** A topic's name, typed with the messages it carries (the type is for the compiler only). */
export type Topic<M> = string & { readonly carries?: M };

export type TopicListener<M> = (message: M) => void;

/**
 * Publish/subscribe by topic: in one process (InProcessTopicBus), or across the gateways of one
 * database (RedisTopicBus, redis-topic-bus.ts), so a listener takes a message as a hint and reads
 * durable state for anything it shows or missed.
 */
export interface TopicBus {
  publish<M>(topic: Topic<M>, message: M): void;
  /** Returns the unsubscribe function. */
  subscribe<M>(topic: Topic<M>, listener: TopicListener<M>): () => void;
  /** Subscribers of a topic in this process (metrics, leak checks, skipping work nobody wants). */
  listenerCount(topic: Topic<unknown>): number;
}

/**
 * The bus inside one gateway process: listeners run synchronously, in subscription order. A
 * listener that throws is logged and skipped, so it neither starves the others nor fails the
 * commit whose changes are being published.
 */
export class InProcessTopicBus implements TopicBus {
  readonly #listeners = new Map<string, Set<TopicListener<never>>>();
  readonly #log: Logger;
  #listenerFailures = 0;

  constructor(log: Logger) {
    this.#log = log;
  }

  publish<M>(topic: Topic<M>, message: M): void {
    const listeners = this.#listeners.get(topic);
    if (!listeners) return;
    for (const listener of [...listeners] as TopicListener<M>[]) {
      try {
        listener(message);
      } catch (error) {
        this.#listenerFailures += 1;
        this.#log.error({ err: error, topic }, 'a bus listener failed');
      }
    }
  }

  subscribe<M>(topic: Topic<M>, listener: TopicListener<M>): () => void {
    let listeners = this.#listeners.get(topic);
    if (!listeners) {
      listeners = new Set();
      this.#listeners.set(topic, listeners);
    }
    listeners.add(listener);
    return () => {
      const current = this.#listeners.get(topic);
      if (!current) return;
      current.delete(listener);
      if (current.size === 0) this.#listeners.delete(topic);
    };
  }

  listenerCount(topic: Topic<unknown>): number {
    return this.#listeners.get(topic)?.size ?? 0;
  }

  /** Listeners that threw since the bus was made (`/metrics`). */
  get listenerFailures(): number {
    return this.#listenerFailures;
  }
}
