import type {
  AgentEnvironment,
  AgentFollowUp,
  AgentTask,
  AgentTaskCallbacks,
  AgentTaskOutcome,
  AgentTaskRequest,
  StartAgentTask,
} from '../../../src/agent/agent-task.ts';

/** An agent task the test drives by hand: it emits what the test says and ends when told. */
export class TestTask implements AgentTask {
  readonly taskId: string;
  readonly request: AgentTaskRequest;
  readonly environment: AgentEnvironment;
  readonly received: AgentFollowUp[] = [];
  readonly stopReasons: string[] = [];
  readonly answers: Array<{ approvalId: string; approved: boolean; reason?: string }> = [];
  /** Approval ids the task is waiting on. */
  readonly waitingApprovals = new Set<string>();
  readonly done: Promise<AgentTaskOutcome>;
  readonly #callbacks: AgentTaskCallbacks;
  #settle!: (outcome: AgentTaskOutcome) => void;

  constructor(request: AgentTaskRequest, callbacks: AgentTaskCallbacks, environment: AgentEnvironment) {
    this.taskId = request.taskId;
    this.request = request;
    this.environment = environment;
    this.#callbacks = callbacks;
    this.done = new Promise((resolve) => {
      this.#settle = resolve;
    });
  }

  /** Emits text deltas `part-1`, `part-2`, ... as separate chunks. */
  text(count: number, from = 1): void {
    for (let index = from; index < from + count; index += 1) {
      this.#callbacks.onChunk({ type: 'text-delta', id: 't1', delta: `part-${index} ` });
    }
  }

  chunk(chunk: Parameters<AgentTaskCallbacks['onChunk']>[0]): void {
    this.#callbacks.onChunk(chunk);
  }

  progress(event: Parameters<AgentTaskCallbacks['onProgress']>[0]): void {
    this.#callbacks.onProgress(event);
  }

  end(outcome: AgentTaskOutcome): void {
    this.#settle(outcome);
  }

  send(message: AgentFollowUp): void {
    this.received.push(message);
  }

  answerApproval(approvalId: string, approved: boolean, reason?: string): boolean {
    if (!this.waitingApprovals.delete(approvalId)) return false;
    this.answers.push({ approvalId, approved, ...(reason !== undefined ? { reason } : {}) });
    return true;
  }

  stop(reason: string): void {
    this.stopReasons.push(reason);
    this.#settle({ status: 'stopped', reason });
  }
}

/** Hands out TestTasks and remembers them by task id. */
export class TestAgent {
  readonly tasks = new Map<string, TestTask>();
  starts = 0;

  readonly start: StartAgentTask = (request, callbacks, environment) => {
    this.starts += 1;
    const task = new TestTask(request, callbacks, environment);
    this.tasks.set(request.taskId, task);
    return task;
  };

  task(taskId: string): TestTask {
    const task = this.tasks.get(taskId);
    if (!task) throw new Error(`no task ${taskId} was started`);
    return task;
  }
}
