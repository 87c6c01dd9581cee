import type { DaemonMetrics, TaskProgressEvent } from '../protocol/index.ts';

/** The agent's result of a failed tool call: `{ error: string }` (with its evidence id). */
function isErrorResult(output: unknown): boolean {
  return (
    typeof output === 'object' && output !== null && typeof (output as { error?: unknown }).error === 'string'
  );
}

/** What the daemon remembers of one running task to count its steps and tokens. */
interface TaskMarks {
  /** When the current step began (the `thinking` status), until the model's first part. */
  stepStartedAt: number | undefined;
  /** The task's usage totals last reported: the next report adds only what grew. */
  inputTokens: number;
  outputTokens: number;
}

/**
 * The daemon's own counters since it started, read from what its tasks already send (their
 * chunks and progress events): nothing in the agent changes for them. Plain numbers updated in
 * place; a heartbeat carries a copy (`snapshot`), and the gateway serves them on `GET /metrics`.
 */
export class DaemonMetricsCounter {
  #modelCalls = 0;
  #modelLatencySeconds = 0;
  #inputTokens = 0;
  #outputTokens = 0;
  #toolCalls = 0;
  #toolFailures = 0;
  readonly #tasks = new Map<string, TaskMarks>();
  readonly #now: () => number;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /**
   * A chunk a task emitted: a tool call, a failed one, or the model's first part of a step. A tool
   * fails with bad input (`tool-input-error`), a failing run (`tool-output-error`), or a result
   * that is the agent's `{error}` (a tool that threw or refused its input: define-tool.ts).
   */
  chunk(taskId: string, chunk: { type: string; output?: unknown }): void {
    const type = chunk.type;
    if (type === 'start-step') {
      // The step began before the model was called (`thinking`); this is the model's first part.
      const marks = this.#tasks.get(taskId);
      if (marks?.stepStartedAt !== undefined) {
        this.#modelCalls += 1;
        this.#modelLatencySeconds += (this.#now() - marks.stepStartedAt) / 1000;
        marks.stepStartedAt = undefined;
      }
      return;
    }
    if (type === 'tool-input-available') this.#toolCalls += 1;
    else if (type === 'tool-input-error') {
      this.#toolCalls += 1;
      this.#toolFailures += 1;
    } else if (
      type === 'tool-output-error' ||
      (type === 'tool-output-available' && isErrorResult(chunk.output))
    ) {
      this.#toolFailures += 1;
    }
  }

  /** A progress event: a step starting (`thinking`), or the task's usage totals so far. */
  progress(taskId: string, event: TaskProgressEvent): void {
    if (event.kind === 'status' && event.detail === 'thinking') {
      this.#marks(taskId).stepStartedAt = this.#now();
    } else if (event.kind === 'usage') {
      const marks = this.#marks(taskId);
      this.#inputTokens += Math.max(0, event.usage.inputTokens - marks.inputTokens);
      this.#outputTokens += Math.max(0, event.usage.outputTokens - marks.outputTokens);
      marks.inputTokens = Math.max(marks.inputTokens, event.usage.inputTokens);
      marks.outputTokens = Math.max(marks.outputTokens, event.usage.outputTokens);
    }
  }

  /** The task ended: nothing more is counted for it. */
  taskEnded(taskId: string): void {
    this.#tasks.delete(taskId);
  }

  snapshot(): DaemonMetrics {
    return {
      modelCalls: this.#modelCalls,
      modelLatencySeconds: this.#modelLatencySeconds,
      inputTokens: this.#inputTokens,
      outputTokens: this.#outputTokens,
      toolCalls: this.#toolCalls,
      toolFailures: this.#toolFailures,
    };
  }

  #marks(taskId: string): TaskMarks {
    let marks = this.#tasks.get(taskId);
    if (!marks) {
      marks = { stepStartedAt: undefined, inputTokens: 0, outputTokens: 0 };
      this.#tasks.set(taskId, marks);
    }
    return marks;
  }
}
