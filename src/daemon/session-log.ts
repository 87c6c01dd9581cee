import { appendFile } from 'node:fs/promises';
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
}

/**
 * Appends each task's records as JSON lines, asynchronously and in order: lines queue in memory
 * and one `appendFile` per task is in flight at a time, carrying everything queued so far. The
 * event loop never waits on the disk, and a slow disk costs batching, not reordering.
 */
export class SessionLog {
  readonly #dir: string;
  readonly #logger: Logger;
  readonly #writers = new Map<string, Writer>();

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
      writer = { path: this.pathFor(taskId), lines: [], flushing: undefined };
      this.#writers.set(taskId, writer);
    }
    writer.lines.push(`${JSON.stringify({ at: new Date().toISOString(), ...record })}\n`);
    writer.flushing ??= this.#drain(writer);
  }

  /** Waits for the task's queued lines and forgets its writer (the task has ended). */
  async close(taskId: string): Promise<void> {
    const writer = this.#writers.get(taskId);
    if (!writer) return;
    await writer.flushing;
    if (writer.flushing === undefined && writer.lines.length === 0) this.#writers.delete(taskId);
  }

  /** Waits until every queued line of every task is on disk (or failed and was logged). */
  async flush(): Promise<void> {
    await Promise.all([...this.#writers.values()].map((writer) => writer.flushing));
  }

  async #drain(writer: Writer): Promise<void> {
    while (writer.lines.length > 0) {
      const batch = writer.lines.join('');
      writer.lines = [];
      try {
        await appendFile(writer.path, batch, { mode: 0o600 });
      } catch (error) {
        // The session log is a record, not the delivery path: a full disk must not stop the task.
        this.#logger.error({ err: error, path: writer.path }, 'session log append failed');
      }
    }
    writer.flushing = undefined;
  }
}
