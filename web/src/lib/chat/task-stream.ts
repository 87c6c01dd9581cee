import type { UIMessageChunk } from 'ai';
import { session } from '../state/session.svelte.ts';
import { backoffMs, readEventStream, sleep } from '../api/sse.ts';
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
 * A task's stream (`GET /api/tasks/:id/stream`) as a series of runs. One HTTP connection at a
 * time; after a drop (gateway restart, network) it reconnects with `Last-Event-ID`, so the runs
 * continue with no chunk lost or repeated. The conversation always comes from the gateway's log:
 * a new page replays it from the start.
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
    this.#run().catch((error: unknown) => this.#finish('failed', String(error)));
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

  async #run(): Promise<void> {
    let attempt = 0;
    while (!this.#stop.signal.aborted) {
      this.#onState(attempt === 0 ? 'connecting' : 'reconnecting');
      let detail = 'the stream was interrupted';
      try {
        const headers: Record<string, string> = { accept: 'text/event-stream' };
        if (this.#lastSeq > 0) headers['last-event-id'] = String(this.#lastSeq);
        const response = await fetch(`/api/tasks/${encodeURIComponent(this.#taskId)}/stream`, {
          headers,
          credentials: 'same-origin',
          signal: this.#stop.signal,
        });
        if (response.status === 404) return this.#finish('not-found');
        if (response.status === 401) {
          session.expired('Your session has expired or was signed out.');
          return this.#finish('failed', 'Sign in again to follow this task.');
        }
        if (!response.ok) throw new Error(`the gateway answered HTTP ${response.status}`);
        attempt = 0;
        this.#onState('live');
        let done = false;
        await readEventStream(response, {
          onEvent: (event) => {
            if (event.data === '[DONE]') {
              done = true;
              return;
            }
            this.#receive(event.id, JSON.parse(event.data) as UIMessageChunk);
          },
        });
        if (done) return this.#finish('ended');
      } catch (error) {
        if (this.#stop.signal.aborted) return;
        detail = (error as Error).message.includes('HTTP') ? (error as Error).message : 'the gateway is not answering';
      }
      const wait = backoffMs(attempt++);
      this.#onState('reconnecting', `${detail}; resuming after event ${this.#lastSeq} in ${Math.ceil(wait / 1000)} s`);
      await sleep(wait, this.#stop.signal);
    }
  }

  #receive(id: string | undefined, chunk: UIMessageChunk): void {
    const seq = Number(id);
    if (Number.isFinite(seq)) {
      if (seq <= this.#lastSeq) return; // already have it
      this.#lastSeq = seq;
    }
    if (chunk.type === 'start') {
      if (this.#current && chunk.messageId !== this.#currentMessageId) this.#closeRun();
      this.#currentMessageId = chunk.messageId;
    }
    if (!this.#current) this.#openRun(seq);
    this.#current?.enqueue(boardChunk(chunk, seq));
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
