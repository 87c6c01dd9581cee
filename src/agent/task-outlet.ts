import type { UIMessageChunk } from 'ai';
import type { Logger } from '../core/logger.ts';
import type { TaskProgressEvent, TokenUsage } from '../protocol/index.ts';
import type { AgentTaskCallbacks } from './agent-task.ts';
import type { UsageTotals } from './usage-store.ts';

type StatusDetail = Extract<TaskProgressEvent, { kind: 'status' }>['detail'];

/**
 * The task's outlet to the daemon: callbacks that throw are logged, never break the run; nothing
 * goes out after the task ended; a status is sent only when it changes.
 */
export class TaskOutlet {
  private readonly callbacks: AgentTaskCallbacks;
  private readonly logger: Logger;
  private lastStatus: StatusDetail | undefined;
  private closed = false;

  constructor(callbacks: AgentTaskCallbacks, logger: Logger) {
    this.callbacks = callbacks;
    this.logger = logger;
  }

  chunk(chunk: UIMessageChunk): void {
    this.deliver(() => this.callbacks.onChunk(chunk), 'onChunk');
  }

  progress(event: TaskProgressEvent): void {
    this.deliver(() => this.callbacks.onProgress(event), 'onProgress');
  }

  status(detail: StatusDetail): void {
    if (this.lastStatus === detail) return;
    this.lastStatus = detail;
    this.progress({ kind: 'status', detail });
  }

  usage(total: UsageTotals): void {
    this.progress({ kind: 'usage', usage: usageForWire(total) });
  }

  close(): void {
    this.closed = true;
  }

  private deliver(send: () => void, name: string): void {
    if (this.closed) return;
    try {
      send();
    } catch (error) {
      this.logger.warn({ error: error instanceof Error ? error.message : String(error) }, `${name} threw`);
    }
  }
}

/** Usage as the protocol carries it: cost only when there is a price (a cost of 0 would mislead). */
export function usageForWire(total: UsageTotals): TokenUsage {
  const { inputTokens, outputTokens, totalTokens, costUsd } = total;
  return { inputTokens, outputTokens, totalTokens, ...(costUsd > 0 ? { costUsd } : {}) };
}
