import {
  type DocumentTaskEvent,
  TaskProgressEventSchema,
  type TaskResult,
  type UnnumberedTaskEvent,
} from '../../protocol/index.ts';
import { SseTextParser } from './sse-text-parser.ts';

/** A refused SSE event's place in the stream: an error chunk, so the reader sees why. */
const refusedChunk = (taskId: string, why: string): UnnumberedTaskEvent => ({
  type: 'task:stream-chunk',
  taskId,
  chunk: { type: 'error', errorText: `the gateway refused part of the stream: ${why}` },
});

/**
 * The task events of one connection of a daemon that speaks only the protocol document's frames,
 * turned into the gateway's own (still unnumbered: the intake numbers them when it stores them).
 * Keeps, per task, the SSE text of an event cut between two `task:stream-chunk` frames; a task's
 * text is forgotten when it ends, and all of it with the connection.
 */
export class DocumentTaskEvents {
  readonly #streams = new Map<string, SseTextParser>();
  readonly #maxEventChars: number | undefined;
  readonly #log: (taskId: string, message: string) => void;

  constructor(log: (taskId: string, message: string) => void, maxEventChars?: number) {
    this.#log = log;
    this.#maxEventChars = maxEventChars;
  }

  toTaskEvents(message: DocumentTaskEvent): UnnumberedTaskEvent[] {
    const { taskId } = message;
    switch (message.type) {
      case 'task:started':
        return [{ type: 'task:started', taskId, spaceId: message.spaceId }];
      case 'task:stream-chunk': {
        let parser = this.#streams.get(taskId);
        if (!parser) {
          parser = new SseTextParser(this.#maxEventChars);
          this.#streams.set(taskId, parser);
        }
        return parser
          .push(message.chunk)
          .map((parsed) =>
            'chunk' in parsed
              ? { type: 'task:stream-chunk', taskId, chunk: parsed.chunk }
              : refusedChunk(taskId, parsed.refused),
          );
      }
      case 'task:progress': {
        const event = TaskProgressEventSchema.safeParse(message.event);
        if (event.success) return [{ type: 'task:progress', taskId, event: event.data }];
        this.#log(taskId, 'progress event of a kind the gateway does not know ignored');
        return [];
      }
      case 'task:completed':
        this.#end(taskId);
        return [{ type: 'task:completed', taskId, result: resultOf(message.result) }];
      case 'task:error':
        this.#end(taskId);
        return [
          {
            type: 'task:error',
            taskId,
            error: typeof message.error === 'string' ? message.error : message.error.message,
          },
        ];
    }
  }

  /** The task ended: an event still cut in half never gets its end. */
  #end(taskId: string): void {
    if (this.#streams.get(taskId)?.pending)
      this.#log(taskId, 'unfinished SSE event dropped at the end of the task');
    this.#streams.delete(taskId);
  }
}

/** The document leaves a result's shape open: ours, or the final text alone. */
function resultOf(result: TaskResult | string): TaskResult {
  return typeof result === 'string' ? { text: result } : result;
}
