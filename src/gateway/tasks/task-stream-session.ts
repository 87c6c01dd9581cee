import type { Logger } from '../../core/logger.ts';
import { isTerminalTaskStatus } from '../../protocol/index.ts';
import { type TaskChange, taskTopic } from '../bus/gateway-topics.ts';
import type { TopicBus } from '../bus/topic-bus.ts';
import { SseWriter } from '../http/sse-writer.ts';
import type { GatewayMetrics } from '../metrics/gateway-metrics.ts';
import type { TaskEventRecord, TasksStore } from '../store/index.ts';
import { isTerminalEventType } from './task-transitions.ts';

export const KEEPALIVE_MS = 15_000;
const LOG_PAGE = 256;
/** Bytes queued for a slow client before the session stops pushing and reads from the log later. */
const HIGH_WATER_MARK_BYTES = 64 * 1024;

type LogRow = Pick<TaskEventRecord, 'seq' | 'type' | 'payload'>;
/** What a session counts: each chunk written, and the latency of those written live. */
export type RelayMetrics = Pick<GatewayMetrics, 'eventsRelayed' | 'relayed'>;

/**
 * One SSE client of one task. The durable log is the source of truth: the session subscribes to
 * the task's topic first, then sends the log after its cursor, then live rows, and whenever a live
 * row is not the next seq (or the client is slow) it reads the log again. So no gap and no duplicate,
 * and a slow client costs a cursor, not a buffer.
 */
export class TaskStreamSession {
  readonly stream: ReadableStream<Uint8Array>;
  readonly #taskId: string;
  readonly #store: TasksStore;
  readonly #bus: TopicBus;
  readonly #log: Logger;
  readonly #metrics: RelayMetrics;
  readonly #onEnd: () => void;
  #sse!: SseWriter;
  #cursor: number;
  #unsubscribe: (() => void) | undefined;
  #pumping = false;
  #again = false;
  #lagging = false;
  /** True until the task is seen live; set again by a terminal event or a status the gateway set. */
  #mayHaveEnded = true;
  #sentError = false;

  constructor(options: {
    taskId: string;
    after: number;
    store: TasksStore;
    bus: TopicBus;
    log: Logger;
    metrics: RelayMetrics;
    onEnd: () => void;
  }) {
    this.#taskId = options.taskId;
    this.#cursor = options.after;
    this.#store = options.store;
    this.#bus = options.bus;
    this.#log = options.log;
    this.#metrics = options.metrics;
    this.#onEnd = options.onEnd;
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#sse = new SseWriter(controller, {
            comment: 'keepalive',
            everyMs: KEEPALIVE_MS,
            onClose: () => {
              this.#unsubscribe?.();
              this.#onEnd();
            },
          });
          this.#begin();
        },
        pull: () => {
          if (this.#lagging) this.#schedule();
        },
        cancel: () => this.close(false),
      },
      new ByteLengthQueuingStrategy({ highWaterMark: HIGH_WATER_MARK_BYTES }),
    );
  }

  #begin(): void {
    // Subscribe before reading the log: a row stored in between arrives here and is skipped by seq.
    this.#unsubscribe = this.#bus.subscribe(taskTopic(this.#taskId), (change) => this.#onChange(change));
    this.#schedule();
  }

  #onChange(change: TaskChange): void {
    if (this.#sse.closed) return;
    if (change.type === 'task.changed') {
      // A row's own change (`cause`) is handled as the row; the gateway's stop or failure is not one.
      if (change.cause || change.task.status === change.previousStatus) return;
      this.#mayHaveEnded = true;
      this.#schedule();
      return;
    }
    if (change.type !== 'task.event-appended') {
      // Another gateway stored rows (a hint, not a row), or the bus may have missed some: the log
      // says which. A burst of hints makes one read: those that come during a read only ask for
      // one more, and those at or below the cursor for none.
      if (change.type === 'bus.resynced') this.#mayHaveEnded = true;
      if (change.type === 'bus.resynced' || change.seq > this.#cursor) this.#schedule();
      return;
    }
    const row = change.event;
    if (row.seq <= this.#cursor) return;
    if (isTerminalEventType(row.type)) this.#mayHaveEnded = true;
    if (row.seq === this.#cursor + 1 && !this.#pumping && !this.#lagging && this.#hasRoom()) {
      this.#emit(row);
      // Straight from the change feed: the relay latency, from the chunk's arrival to this write.
      if (row.arrivedAt !== undefined && row.type === 'task:stream-chunk') {
        this.#metrics.relayed(row.arrivedAt);
      }
      if (this.#mayHaveEnded) this.#schedule();
      return;
    }
    this.#schedule();
  }

  #hasRoom(): boolean {
    return this.#sse.desiredSize > 0;
  }

  #emit(row: LogRow): void {
    this.#cursor = row.seq;
    // A terminal row read from the log (after a hint) may end the stream, as a live one does.
    if (isTerminalEventType(row.type)) this.#mayHaveEnded = true;
    if (row.type !== 'task:stream-chunk') return;
    if (row.payload.startsWith('{"type":"error"')) this.#sentError = true;
    this.#sse.write(`id: ${row.seq}\ndata: ${row.payload}\n\n`);
    this.#metrics.eventsRelayed += 1;
  }

  #schedule(): void {
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    this.#pump().catch((error: unknown) => {
      this.#log.error(
        { err: error },
        'task stream failed; closing it (the client resumes with Last-Event-ID)',
      );
      this.close(true);
    });
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      do {
        this.#again = false;
        this.#lagging = false;
        while (!this.#sse.closed) {
          if (!this.#hasRoom()) {
            this.#lagging = true;
            break;
          }
          const rows = await this.#store.readTaskLog(this.#taskId, this.#cursor, LOG_PAGE);
          for (const row of rows) if (row.seq > this.#cursor) this.#emit(row);
          if (rows.length < LOG_PAGE) break;
        }
        if (!this.#sse.closed && !this.#lagging && this.#mayHaveEnded) await this.#endIfFinished();
      } while (this.#again && !this.#sse.closed);
    } finally {
      this.#pumping = false;
    }
  }

  /** Ends the stream once the task is terminal and everything up to its last event was sent. */
  async #endIfFinished(): Promise<void> {
    const task = await this.#store.getTask(this.#taskId);
    if (!task) {
      this.close(true);
      return;
    }
    if (!isTerminalTaskStatus(task.status)) {
      this.#mayHaveEnded = false;
      return;
    }
    if (this.#cursor < task.lastSeq) {
      this.#again = true;
      return;
    }
    if (
      task.status === 'error' &&
      !this.#sentError &&
      !(await this.#store.hasStreamChunkOfType(task.id, 'error'))
    ) {
      this.#sse.write(
        `data: ${JSON.stringify({ type: 'error', errorText: task.error ?? 'the task failed' })}\n\n`,
      );
    }
    this.#sse.write('data: [DONE]\n\n');
    this.close(true);
  }

  /** Stops the session; `end` closes the HTTP response (a cancelled one is already gone). */
  close(end: boolean): void {
    this.#sse.close(end);
  }
}
