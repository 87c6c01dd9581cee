import { appendFile, type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../core/logger.ts';
import type {
  ChatMessage,
  InjectionMode,
  TaskOptions,
  TaskProgressEvent,
  TaskResult,
  UIChunk,
} from '../protocol/index.ts';

/** One line of `agents/{id}/sessions/{taskId}.jsonl` (architecture document, section 3). */
export type SessionRecord =
  | { kind: 'submit'; goal: string; messages?: ChatMessage[]; options: TaskOptions; spaceId: string }
  | { kind: 'chunk'; seq: number; chunk: UIChunk }
  | { kind: 'progress'; seq: number; event: TaskProgressEvent }
  | { kind: 'message'; id: string; text: string; injectionMode: InjectionMode }
  | { kind: 'approval'; approvalId: string; approved: boolean; reason?: string }
  | { kind: 'stop'; reason: string }
  | { kind: 'resumed'; interruptedToolCalls: string[] }
  | { kind: 'suspended' }
  | { kind: 'outcome'; status: 'completed'; result: TaskResult }
  | { kind: 'outcome'; status: 'error'; error: string }
  | { kind: 'outcome'; status: 'stopped'; reason: string };

/** Task ids become file names: letters, digits, `_` and `-` only, so no id can leave the folder. */
const SAFE_FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,199}$/;

export function isSafeTaskId(taskId: string): boolean {
  return SAFE_FILE_NAME.test(taskId);
}

interface Writer {
  path: string;
  lines: string[];
  flushing: Promise<void> | undefined;
  /** Kept open while the task runs (up to MAX_OPEN_FILES across tasks), closed with it. */
  file: FileHandle | undefined;
}

/** Session files kept open at once; past it a writer opens its file for each batch. */
const MAX_OPEN_FILES = 256;

/**
 * Appends each task's records as JSON lines, asynchronously and in order: lines queue in memory
 * and one write per task is in flight at a time, carrying everything queued so far. Writes start
 * after the current turn of the event loop, so the records of a burst (many tasks starting or
 * streaming at once) go out in a few large writes, and a task's file stays open while it runs.
 * The event loop never waits on the disk, and a slow disk costs batching, not reordering.
 */
export class SessionLog {
  readonly #dir: string;
  readonly #logger: Logger;
  readonly #writers = new Map<string, Writer>();
  /** Writers with lines and no write in flight, started together after this turn. */
  #due = new Set<Writer>();
  #scheduled = false;
  #openFiles = 0;

  constructor(dir: string, logger: Logger) {
    this.#dir = dir;
    this.#logger = logger;
  }

  pathFor(taskId: string): string {
    return join(this.#dir, `${taskId}.jsonl`);
  }

  append(taskId: string, record: SessionRecord): void {
    if (!isSafeTaskId(taskId)) return;
    let writer = this.#writers.get(taskId);
    if (!writer) {
      writer = { path: this.pathFor(taskId), lines: [], flushing: undefined, file: undefined };
      this.#writers.set(taskId, writer);
    }
    writer.lines.push(`${JSON.stringify({ at: new Date().toISOString(), ...record })}\n`);
    if (writer.flushing) return;
    this.#due.add(writer);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#startDue());
    }
  }

  /** Waits for the task's queued lines and forgets its writer (the task has ended). */
  async close(taskId: string): Promise<void> {
    const writer = this.#writers.get(taskId);
    if (!writer) return;
    this.#start(writer);
    await writer.flushing;
    if (writer.flushing !== undefined || writer.lines.length > 0) return;
    this.#writers.delete(taskId);
    await this.#closeFile(writer);
  }

  /**
   * Waits until every queued line of every task is on disk (or failed and was logged), and closes
   * the files kept open: the daemon is stopping (a later line opens its file again).
   */
  async flush(): Promise<void> {
    this.#startDue();
    const writers = [...this.#writers.values()];
    await Promise.all(writers.map((writer) => writer.flushing));
    await Promise.all(writers.map((writer) => (writer.flushing ? undefined : this.#closeFile(writer))));
  }

  #startDue(): void {
    this.#scheduled = false;
    const due = this.#due;
    this.#due = new Set();
    for (const writer of due) this.#start(writer);
  }

  #start(writer: Writer): void {
    this.#due.delete(writer);
    if (writer.lines.length > 0) writer.flushing ??= this.#drain(writer);
  }

  async #drain(writer: Writer): Promise<void> {
    while (writer.lines.length > 0) {
      const batch = writer.lines.join('');
      writer.lines = [];
      try {
        if (!writer.file && this.#openFiles < MAX_OPEN_FILES) {
          this.#openFiles += 1;
          try {
            writer.file = await open(writer.path, 'a', 0o600);
          } catch (error) {
            this.#openFiles -= 1;
            throw error;
          }
        }
        if (writer.file) await writer.file.appendFile(batch);
        else await appendFile(writer.path, batch, { mode: 0o600 });
      } catch (error) {
        // The session log is a record, not the delivery path: a full disk must not stop the task.
        this.#logger.error({ err: error, path: writer.path }, 'session log append failed');
      }
    }
    writer.flushing = undefined;
  }

  async #closeFile(writer: Writer): Promise<void> {
    const file = writer.file;
    if (!file) return;
    writer.file = undefined;
    this.#openFiles -= 1;
    await file.close().catch((error: unknown) => {
      this.#logger.warn({ err: error, path: writer.path }, 'session log not closed');
    });
  }
}
