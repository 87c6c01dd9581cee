import type { TaskDetailResponse } from '#lib/protocol.ts';
import { errorMessage, isNotFound } from '../api/gateway.ts';
import { getTask } from '../api/tasks.ts';

export type TaskDetailState =
  | { state: 'loading' }
  | { state: 'ok'; detail: TaskDetailResponse }
  | { state: 'missing' }
  | { state: 'failed'; message: string };

/**
 * One task's detail (`GET /api/tasks/:id`: the task, its lifecycle events, its follow-ups), the
 * one store of it for the task page: the route's load function makes it, the page shows it, the
 * conversation places follow-ups from it and the queue drops applied ones from it. It is read
 * once when the page opens, and again only when something it shows may have changed; reads asked
 * for while one runs share it (plus one more, so the last answer is the newest).
 */
export class TaskDetail {
  readonly id: string;
  current = $state<TaskDetailState>({ state: 'loading' });
  #reading: Promise<void> | undefined;
  #readAgain = false;

  constructor(id: string) {
    this.id = id;
  }

  /** The detail, once read. */
  get detail(): TaskDetailResponse | undefined {
    return this.current.state === 'ok' ? this.current.detail : undefined;
  }

  refresh(): Promise<void> {
    if (this.#reading) {
      this.#readAgain = true;
      return this.#reading;
    }
    this.#reading = (async () => {
      do {
        this.#readAgain = false;
        await this.#read();
      } while (this.#readAgain);
    })().finally(() => {
      this.#reading = undefined;
    });
    return this.#reading;
  }

  /**
   * The detail as of at least `seq`: the one already read when it covers that point of the
   * task's log (a replay of a finished task asks nothing), else a fresh read.
   */
  async covering(seq: number): Promise<TaskDetailResponse | undefined> {
    const known = this.detail;
    if (known && known.task.lastSeq >= seq) return known;
    await this.refresh();
    return this.detail;
  }

  async #read(): Promise<void> {
    if (this.current.state !== 'ok') this.current = { state: 'loading' };
    try {
      this.current = { state: 'ok', detail: await getTask(this.id) };
    } catch (error) {
      // Once shown, a failed read keeps what is shown: live state comes from the board's events.
      if (this.current.state === 'ok') return;
      this.current = isNotFound(error) ? { state: 'missing' } : { state: 'failed', message: errorMessage(error) };
    }
  }
}
