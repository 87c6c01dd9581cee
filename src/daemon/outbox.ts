import type { DatabaseSync, StatementSync } from 'node:sqlite';
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
 * The bound, on disk and in memory alike (the durable outbox mirrors its rows in memory). While
 * the gateway acknowledges, the outbox holds only the events in flight. While it is unreachable,
 * events pile up; past either limit `overflowing` turns true and the task runtime stops the tasks
 * that keep producing (their final event is still admitted), so a long outage costs at most about
 * 64 MiB instead of growing without end.
 */
export const DEFAULT_OUTBOX_LIMITS = { maxBytes: 64 * 1024 * 1024, maxEvents: 100_000 } as const;

interface TaskQueue {
  nextSeq: number;
  /** entries[head..] are unacknowledged; the acknowledged prefix is compacted away lazily. */
  entries: OutboxEntry[];
  head: number;
}

interface OutboxStatements {
  insert: StatementSync;
  release: StatementSync;
  keepNextSeq: StatementSync;
  dropEvents: StatementSync;
  dropTask: StatementSync;
}

/**
 * Per-task sequence numbers and the unacknowledged task events (DESIGN.md, rules 1 and 2).
 * Each event gets its task's next seq (1, 2, 3, ...) and stays until a cumulative `task:ack`
 * covers it; after a reconnect everything still here is sent again, in order.
 *
 * With a database (the daemon's `outbox.db`, see daemon-db.ts) every event is written there before
 * `append` returns, that is before it is sent, and deleted when acknowledged; a new Outbox on the
 * same database (a restarted daemon) starts with every unacknowledged event, in order, and each
 * task's next seq. Without one it lives in memory only (tests, `viber run`).
 */
export class Outbox {
  readonly #tasks = new Map<string, TaskQueue>();
  readonly #maxBytes: number;
  readonly #maxEvents: number;
  readonly #db: OutboxStatements | undefined;
  readonly #database: DatabaseSync | undefined;
  #bytes = 0;
  #count = 0;
  #order = 0;
  #diskError: string | undefined;
  /** An insert failed since the last batch was committed (DurableBatch). */
  #failedInBatch = false;

  constructor(limits: OutboxLimits = {}, db?: DatabaseSync) {
    this.#maxBytes = limits.maxBytes ?? DEFAULT_OUTBOX_LIMITS.maxBytes;
    this.#maxEvents = limits.maxEvents ?? DEFAULT_OUTBOX_LIMITS.maxEvents;
    if (!db) return;
    this.#database = db;
    this.#db = {
      insert: db.prepare('INSERT INTO outbox_events (ord, task_id, seq, frame) VALUES (?, ?, ?, ?)'),
      release: db.prepare('DELETE FROM outbox_events WHERE task_id = ? AND seq <= ?'),
      keepNextSeq: db.prepare(
        `INSERT INTO outbox_tasks (task_id, next_seq) VALUES (?, ?)
         ON CONFLICT (task_id) DO UPDATE SET next_seq = max(next_seq, excluded.next_seq)`,
      ),
      dropEvents: db.prepare('DELETE FROM outbox_events WHERE task_id = ?'),
      dropTask: db.prepare('DELETE FROM outbox_tasks WHERE task_id = ?'),
    };
    this.#load(db);
  }

  /** What a previous process left: the unacknowledged events in order, and every task's next seq. */
  #load(db: DatabaseSync): void {
    for (const row of db.prepare('SELECT task_id, next_seq FROM outbox_tasks').all()) {
      this.#queue(String(row.task_id)).nextSeq = Number(row.next_seq);
    }
    for (const row of db.prepare('SELECT ord, task_id, seq, frame FROM outbox_events ORDER BY ord').all()) {
      const frame = String(row.frame);
      const queue = this.#queue(String(row.task_id));
      const order = Number(row.ord);
      const entry: OutboxEntry = {
        event: JSON.parse(frame) as TaskEvent,
        frame,
        bytes: Buffer.byteLength(frame),
        order,
      };
      queue.entries.push(entry);
      queue.nextSeq = Math.max(queue.nextSeq, Number(row.seq) + 1);
      this.#bytes += entry.bytes;
      this.#count += 1;
      this.#order = Math.max(this.#order, order + 1);
    }
  }

  #queue(taskId: string): TaskQueue {
    let queue = this.#tasks.get(taskId);
    if (!queue) {
      queue = { nextSeq: 1, entries: [], head: 0 };
      this.#tasks.set(taskId, queue);
    }
    return queue;
  }

  /** Tasks the outbox numbers (running, or with events not yet acknowledged). */
  taskIds(): string[] {
    return [...this.#tasks.keys()];
  }

  /** The seq the task's next event gets. */
  nextSeq(taskId: string): number {
    return this.#tasks.get(taskId)?.nextSeq ?? 1;
  }

  /** Set when an event could not be written to disk (a full disk): it is kept in memory only. */
  get diskError(): string | undefined {
    return this.#diskError;
  }

  /**
   * Numbers the event with its task's next seq and keeps it until acknowledged. Its frame is at
   * most `maxFrameBytes` (the gateway's limit): a larger one is made to fit (fitEvent) here, once,
   * because a frame the gateway refuses for its size would be refused again at every resend.
   */
  append(event: UnnumberedTaskEvent, maxFrameBytes: number = LIMITS.maxFrameBytes): OutboxEntry {
    const queue = this.#queue(event.taskId);
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
    if (this.#db) {
      try {
        this.#db.insert.run(entry.order, event.taskId, numbered.seq, frame);
        // Inside a batch the write is not on disk until the commit says so (`committed`).
        if (!this.#database?.isTransaction) this.#diskError = undefined;
      } catch (error) {
        // A full disk: the event still goes out from memory, and `overflowing` stops the task.
        this.#diskError = `cannot write the outbox: ${error instanceof Error ? error.message : String(error)}`;
        this.#failedInBatch = true;
      }
    }
    queue.entries.push(entry);
    this.#bytes += entry.bytes;
    this.#count += 1;
    return entry;
  }

  /**
   * How a batch of writes (DurableBatch) ended: a commit that failed stops the producing tasks as
   * a failed insert does; one that succeeded clears the error unless an insert of it failed.
   */
  committed(error: Error | undefined): void {
    if (error) this.#diskError = `cannot write the outbox: ${error.message}`;
    else if (!this.#failedInBatch) this.#diskError = undefined;
    this.#failedInBatch = false;
  }

  /** Releases every event of the task with seq <= `seq`; returns how many were released. */
  ack(taskId: string, seq: number): number {
    const queue = this.#tasks.get(taskId);
    if (!queue) return 0;
    if (this.#db) {
      this.#db.release.run(taskId, seq);
      this.#db.keepNextSeq.run(taskId, Math.min(seq + 1, queue.nextSeq));
    }
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
    this.#db?.dropEvents.run(taskId);
    this.#db?.dropTask.run(taskId);
    for (let index = queue.head; index < queue.entries.length; index += 1) {
      this.#bytes -= queue.entries[index]!.bytes;
      this.#count -= 1;
    }
    this.#tasks.delete(taskId);
  }

  get overflowing(): boolean {
    return this.#bytes > this.#maxBytes || this.#count > this.#maxEvents || this.#diskError !== undefined;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#count;
  }
}
