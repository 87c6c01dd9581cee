import type { UIMessageChunk } from 'ai';
import { GatewayClientError, type StreamReconnect } from '#lib/client.ts';
import type { UIChunk } from '#lib/protocol.ts';
import { dropReason, errorMessage } from '../../api/gateway.ts';
import { followTask } from '../../api/tasks.ts';
import { boardChunk } from './board-chunk.ts';

export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'ended' | 'not-found' | 'failed';

/** One run of a task: one assistant message, from its `start` chunk to the next run's. */
export interface TaskRun {
  index: number;
  /** The seq of the run's first chunk: follow-ups applied before it belong before it. */
  startSeq: number;
  stream: ReadableStream<UIMessageChunk>;
}

/**
 * A task's stream (`GET /api/tasks/:id/stream`) as a series of runs, read with the client's
 * followTaskStream: one connection at a time, resumed with `Last-Event-ID` after a drop (gateway
 * restart, network), every chunk exactly once. The conversation always comes from the gateway's
 * log: a new page replays it from the start.
 */
export class TaskStreamSource {
  readonly #taskId: string;
  readonly #onState: (state: StreamState, detail?: string) => void;
  readonly #stop = new AbortController();
  readonly #ready: TaskRun[] = [];
  #waiter: ((run: TaskRun | null) => void) | undefined;
  #ended = false;
  #lastSeq = 0;
  #current: ReadableStreamDefaultController<UIMessageChunk> | undefined;
  #currentMessageId: string | undefined;
  #runs = 0;

  constructor(taskId: string, onState: (state: StreamState, detail?: string) => void) {
    this.#taskId = taskId;
    this.#onState = onState;
  }

  get lastSeq(): number {
    return this.#lastSeq;
  }

  start(): void {
    void this.#follow();
  }

  stop(): void {
    this.#stop.abort();
    this.#finish('ended');
  }

  /** The next run once its first chunk arrived, or null when the task's stream is over. */
  nextRun(): Promise<TaskRun | null> {
    const ready = this.#ready.shift();
    if (ready) return Promise.resolve(ready);
    if (this.#ended) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.#waiter = resolve;
    });
  }

  async #follow(): Promise<void> {
    this.#onState('connecting');
    try {
      const chunks = followTask(this.#taskId, {
        signal: this.#stop.signal,
        onConnect: () => this.#onState('live'),
        onReconnect: (reconnect) => this.#onState('reconnecting', describeWait(reconnect)),
      });
      for await (const { seq, chunk } of chunks) this.#receive(seq, chunk);
      this.#finish('ended');
    } catch (error) {
      if (this.#stop.signal.aborted) return;
      if (GatewayClientError.isInstance(error) && error.status === 404) return this.#finish('not-found');
      // A 401 has already marked the session expired: the layout offers to sign in again.
      if (GatewayClientError.isInstance(error) && error.status === 401) {
        return this.#finish('failed', 'Sign in again to follow this task.');
      }
      this.#finish('failed', errorMessage(error));
    }
  }

  #receive(seq: number | undefined, chunk: UIChunk): void {
    // The gateway's closing `error` chunk has no seq: it belongs after the last one.
    if (seq !== undefined) this.#lastSeq = seq;
    const at = seq ?? this.#lastSeq;
    // The protocol keeps chunks loose, so chunk types of a newer SDK pass through; the Chat is what
    // interprets them, and it skips types it does not know.
    const uiChunk = chunk as UIMessageChunk;
    if (uiChunk.type === 'start') {
      if (this.#current && uiChunk.messageId !== this.#currentMessageId) this.#closeRun();
      this.#currentMessageId = uiChunk.messageId;
    }
    if (!this.#current) this.#openRun(at);
    this.#current?.enqueue(boardChunk(uiChunk, at));
  }

  #openRun(startSeq: number): void {
    let controller!: ReadableStreamDefaultController<UIMessageChunk>;
    const stream = new ReadableStream<UIMessageChunk>({
      start: (c) => {
        controller = c;
      },
    });
    this.#current = controller;
    const run: TaskRun = { index: this.#runs++, startSeq, stream };
    if (this.#waiter) {
      const waiter = this.#waiter;
      this.#waiter = undefined;
      waiter(run);
    } else {
      this.#ready.push(run);
    }
  }

  #closeRun(): void {
    try {
      this.#current?.close();
    } catch {
      // the reader went away (page left)
    }
    this.#current = undefined;
  }

  #finish(state: StreamState, detail?: string): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#closeRun();
    this.#onState(state, detail);
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.(null);
  }
}

function describeWait({ error, lastSeq, delayMs }: StreamReconnect): string {
  return `${dropReason(error)}; resuming after event ${lastSeq ?? 0} in ${Math.ceil(delayMs / 1000)} s`;
}
