import { LIMITS, type TaskEvent, type UnnumberedTaskEvent } from '../protocol/index.ts';
import { fitEvent } from './chunk-fit.ts';

/** One numbered task event and its wire form, serialised once and resent as is. */
export interface OutboxEntry {
  readonly event: TaskEvent;
  readonly frame: string;
  /** UTF-8 size of `frame`. */
  readonly bytes: number;
  /** Position across all tasks, so a replay keeps the order the events were produced in. */
  readonly order: number;
}

export interface OutboxLimits {
  /** Unacknowledged bytes (wire form) across all tasks before the outbox reports overflow. */
  maxBytes?: number;
  /** Unacknowledged events across all tasks before the outbox reports overflow. */
  maxEvents?: number;
}

/**
 * The memory bound. While the gateway acknowledges, the outbox holds only the events in flight.
 * While it is unreachable, events pile up; past either limit `overflowing` turns true and the task
 * runtime stops the tasks that keep producing (their final event is still admitted), so a long
 * outage costs at most about 64 MiB instead of growing without end.
 */
export const DEFAULT_OUTBOX_LIMITS = { maxBytes: 64 * 1024 * 1024, maxEvents: 100_000 } as const;

interface TaskQueue {
  nextSeq: number;
  /** entries[head..] are unacknowledged; the acknowledged prefix is compacted away lazily. */
  entries: OutboxEntry[];
  head: number;
}

/**
 * Per-task sequence numbers and the unacknowledged task events (DESIGN.md, rules 1 and 2).
 * Each event gets its task's next seq (1, 2, 3, ...) and stays until a cumulative `task:ack`
 * covers it; after a reconnect everything still here is sent again, in order.
 */
export class Outbox {
  readonly #tasks = new Map<string, TaskQueue>();
  readonly #maxBytes: number;
  readonly #maxEvents: number;
  #bytes = 0;
  #count = 0;
  #order = 0;

  constructor(limits: OutboxLimits = {}) {
    this.#maxBytes = limits.maxBytes ?? DEFAULT_OUTBOX_LIMITS.maxBytes;
    this.#maxEvents = limits.maxEvents ?? DEFAULT_OUTBOX_LIMITS.maxEvents;
  }

  /**
   * Numbers the event with its task's next seq and keeps it until acknowledged. Its frame is at
   * most `maxFrameBytes` (the gateway's limit): a larger one is made to fit (fitEvent) here, once,
   * because a frame the gateway refuses for its size would be refused again at every resend.
   */
  append(event: UnnumberedTaskEvent, maxFrameBytes: number = LIMITS.maxFrameBytes): OutboxEntry {
    let queue = this.#tasks.get(event.taskId);
    if (!queue) {
      queue = { nextSeq: 1, entries: [], head: 0 };
      this.#tasks.set(event.taskId, queue);
    }
    let numbered = { ...event, seq: queue.nextSeq } as TaskEvent;
    queue.nextSeq += 1;
    let frame = JSON.stringify(numbered);
    let bytes = Buffer.byteLength(frame);
    if (bytes > maxFrameBytes) {
      numbered = fitEvent(numbered, bytes, maxFrameBytes);
      frame = JSON.stringify(numbered);
      bytes = Buffer.byteLength(frame);
    }
    const entry: OutboxEntry = { event: numbered, frame, bytes, order: this.#order++ };
    queue.entries.push(entry);
    this.#bytes += entry.bytes;
    this.#count += 1;
    return entry;
  }

  /** Releases every event of the task with seq <= `seq`; returns how many were released. */
  ack(taskId: string, seq: number): number {
    const queue = this.#tasks.get(taskId);
    if (!queue) return 0;
    let released = 0;
    while (queue.head < queue.entries.length && queue.entries[queue.head]!.event.seq <= seq) {
      this.#bytes -= queue.entries[queue.head]!.bytes;
      queue.head += 1;
      released += 1;
    }
    this.#count -= released;
    // Compact once the acknowledged prefix dominates, so acks stay O(1) amortised.
    if (queue.head > 64 && queue.head * 2 > queue.entries.length) {
      queue.entries = queue.entries.slice(queue.head);
      queue.head = 0;
    }
    return released;
  }

  /** Unacknowledged events of one task. */
  pendingCount(taskId: string): number {
    const queue = this.#tasks.get(taskId);
    return queue ? queue.entries.length - queue.head : 0;
  }

  /** Every unacknowledged event, oldest first across all tasks. */
  pending(): OutboxEntry[] {
    const all: OutboxEntry[] = [];
    for (const queue of this.#tasks.values()) {
      for (let index = queue.head; index < queue.entries.length; index += 1) all.push(queue.entries[index]!);
    }
    return all.sort((a, b) => a.order - b.order);
  }

  /** Tasks with unacknowledged events. */
  taskIdsWithPending(): string[] {
    return [...this.#tasks.keys()].filter((taskId) => this.pendingCount(taskId) > 0);
  }

  /** Drops a task's numbering once it has ended and everything is acknowledged. */
  forget(taskId: string): void {
    const queue = this.#tasks.get(taskId);
    if (!queue) return;
    for (let index = queue.head; index < queue.entries.length; index += 1) {
      this.#bytes -= queue.entries[index]!.bytes;
      this.#count -= 1;
    }
    this.#tasks.delete(taskId);
  }

  get overflowing(): boolean {
    return this.#bytes > this.#maxBytes || this.#count > this.#maxEvents;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#count;
  }
}
