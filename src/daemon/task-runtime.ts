import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  type AgentEnvironment,
  type AgentFollowUp,
  type AgentResume,
  type AgentTask,
  type AgentTaskCallbacks,
  type AgentTaskOutcome,
  type AgentTaskRequest,
  type ModelSource,
  type StartAgentTask,
  SUSPENDED_REASON,
  type TaskExecution,
} from '../agent/agent-task.ts';
import type { SandboxCapabilities } from '../agent/command-sandbox.ts';
import type { DelegationPort } from '../agent/delegation.ts';
import type { McpToolSource } from '../agent/mcp/index.ts';
import type { ConfigFile } from '../core/config.ts';
import { ensureDir, type OpenViberHome } from '../core/home.ts';
import type { Logger } from '../core/logger.ts';
import { NO_REDACTION, type Redactor } from '../core/redaction.ts';
import {
  type ErrorCode,
  TaskProgressEventSchema,
  type TaskSubmit,
  type UIChunk,
  UIChunkSchema,
  type UnnumberedTaskEvent,
} from '../protocol/index.ts';
import { EVENT_ENVELOPE_BYTES, fitChunk } from './chunk-fit.ts';
import { RecentIds } from './command-dedupe.ts';
import { DaemonMetricsCounter } from './daemon-metrics.ts';
import type { DurableBatch } from './durable-batch.ts';
import type { TaskEnvironment } from './environment/index.ts';
import type { Outbox, OutboxEntry } from './outbox.ts';
import { isSafeTaskId, type SessionLog } from './session-log.ts';
import { type JournalTask, resumeOf, type TaskJournal } from './task-journal.ts';
import { outcomeRecord, terminalEvent } from './task-outcome.ts';

export type RuntimeResult = { ok: true } | { ok: false; code: ErrorCode; message: string };

export interface TaskRuntimeOptions {
  home: OpenViberHome;
  env: NodeJS.ProcessEnv;
  /** The configuration in force when a task starts (config:push may replace it). */
  getConfig(): ConfigFile;
  /** The model of each task as it starts, from every layer (docs/settings.md); config and env without it. */
  modelSource?: () => ModelSource;
  startAgentTask: StartAgentTask;
  outbox: Outbox;
  /** Where running tasks are kept for a restarted daemon to resume them (absent: not resumable). */
  journal?: TaskJournal;
  sessions: SessionLog;
  /**
   * Groups the outbox and journal writes of one turn of the event loop into one transaction
   * (absent: each write commits on its own). `publish` must then send behind it.
   */
  batch?: Pick<DurableBatch, 'begin'>;
  /** Hands a numbered event to the connection (sent now when connected, else on reconnect). */
  publish(entry: OutboxEntry): void;
  /** Largest frame the gateway accepts. */
  maxFrameBytes(): number;
  /** What this machine can enforce around the agent's commands (probed before tasks arrive). */
  sandbox?: SandboxCapabilities;
  /** Credential values the daemon holds only in memory (its token): redacted from tool output. */
  knownSecrets?: Record<string, string>;
  /** Keeps the MCP servers whose tools join every task's (docs/mcp.md). */
  mcp?: McpToolSource;
  /** Each task's way to delegate through the gateway (docs/delegation.md); absent: no delegate tool. */
  delegation?: (taskId: string) => DelegationPort;
  /** Resolves tasks in an environment (the daemon's EnvironmentManager). */
  environments?: {
    taskEnvironment(environmentId: string, taskId: string, cwd: string | undefined): Promise<TaskEnvironment>;
  };
  logger: Logger;
}

interface TaskRecord {
  taskId: string;
  logger: Logger;
  agentTask: AgentTask | undefined;
  ended: boolean;
  /** Set when the outbox overflowed: further chunks are dropped until the task stops. */
  dropping: boolean;
  /** Set by suspendAll: the task ends here for now and resumes in the next process. */
  suspended?: boolean;
  /** Blanks the environment's secret values from every event and session line of the task. */
  redactor: Redactor;
  /** Set while the task's environment is being resolved: a stop that came before the agent. */
  stopReason?: string;
  /** Gives back what the task's environment holds (a per-task copy of the working directory). */
  release?: () => Promise<void>;
}

/**
 * Runs gateway tasks through the AgentTask contract: relays chunks and progress as numbered task
 * events, routes stop, follow-ups and approvals, and writes the session log. A task stays owned
 * until it has ended and the gateway has acknowledged every one of its events.
 */
export class TaskRuntime {
  /** The daemon's own counters, read from its tasks' chunks and progress; heartbeats carry them. */
  readonly metrics = new DaemonMetricsCounter();
  readonly #options: TaskRuntimeOptions;
  readonly #tasks = new Map<string, TaskRecord>();
  /** Tasks already finished and forgotten: a late redelivered submit must not run them again. */
  readonly #finished = new RecentIds(10_000);
  #drainWaiters: Array<() => void> = [];

  constructor(options: TaskRuntimeOptions) {
    this.#options = options;
  }

  /** True for a task this daemon runs, still owns, or finished recently. */
  has(taskId: string): boolean {
    return this.#tasks.has(taskId) || this.#finished.has(taskId);
  }

  /** Tasks running or with unacknowledged events: ViberInfo.runningTasks. */
  ownedTaskIds(): string[] {
    return [...this.#tasks.keys()];
  }

  runningCount(): number {
    let count = 0;
    for (const record of this.#tasks.values()) if (!record.ended) count += 1;
    return count;
  }

  /**
   * Picks up what the previous process left (before the first connection): every task that was
   * running resumes from its last checkpoint, and a task that had ended stays owned until the
   * gateway acknowledges the events still in the outbox.
   */
  resumeAll(): string[] {
    const resumed: string[] = [];
    for (const task of this.#options.journal?.tasks() ?? []) {
      this.submit(task.submit, task);
      resumed.push(task.taskId);
    }
    for (const taskId of this.#options.outbox.taskIds()) {
      if (this.#tasks.has(taskId)) continue;
      const record = this.#newRecord(taskId);
      record.ended = true;
      this.#tasks.set(taskId, record);
      this.#forgetIfDelivered(record);
    }
    return resumed;
  }

  #newRecord(taskId: string): TaskRecord {
    return {
      taskId,
      logger: this.#options.logger.child({ taskId }),
      agentTask: undefined,
      ended: false,
      dropping: false,
      redactor: NO_REDACTION,
    };
  }

  submit(command: TaskSubmit, resumed?: JournalTask): void {
    const { taskId } = command;
    const record: TaskRecord = {
      taskId,
      logger: this.#options.logger.child({ taskId }),
      agentTask: undefined,
      ended: false,
      dropping: false,
      redactor: NO_REDACTION,
    };
    this.#tasks.set(taskId, record);
    if (!isSafeTaskId(taskId)) {
      this.#finish(record, {
        status: 'error',
        error: `task id "${taskId.slice(0, 100)}" may only use letters, digits, _ and -`,
      });
      return;
    }
    const options = command.options ?? {};
    if (options.environmentId) {
      this.#submitInEnvironment(record, command, options.environmentId, resumed);
      return;
    }
    if (resumed) {
      this.#launch(record, command, resumed.spaceId, undefined, resumed);
      return;
    }
    // Without a cwd a task gets its own folder, workspace/<taskId>, beside its plan and artifacts:
    // tasks never share a working directory by accident (docs/agent.md).
    const spaceId = options.cwd
      ? resolve(this.#options.home.workspace, options.cwd)
      : ensureDir(join(this.#options.home.workspace, taskId));
    if (!isDirectory(spaceId)) {
      this.#finish(record, {
        status: 'error',
        error: `working directory ${spaceId} does not exist on this viber`,
      });
      return;
    }
    this.#launch(record, command, spaceId);
  }

  /** A task in an environment runs in its binding's working directory, with its variables. */
  #submitInEnvironment(
    record: TaskRecord,
    command: TaskSubmit,
    environmentId: string,
    resumed: JournalTask | undefined,
  ): void {
    const environments = this.#options.environments;
    if (!environments) {
      this.#finish(record, { status: 'error', error: 'this viber does not run tasks in environments' });
      return;
    }
    environments.taskEnvironment(environmentId, record.taskId, command.options?.cwd).then(
      (prepared) => {
        record.redactor = prepared.redactor;
        record.release = prepared.release;
        if (record.stopReason !== undefined) {
          this.#finish(record, { status: 'stopped', reason: record.stopReason });
          return;
        }
        this.#launch(
          record,
          command,
          prepared.cwd,
          {
            env: prepared.env,
            redactor: prepared.redactor,
            networkAccess: prepared.networkAccess,
            ...(prepared.container ? { container: prepared.container } : {}),
            mcpServers: prepared.mcpServers,
          },
          resumed,
        );
      },
      (error: unknown) => this.#finish(record, { status: 'error', error: errorText(error) }),
    );
  }

  #launch(
    record: TaskRecord,
    command: TaskSubmit,
    spaceId: string,
    execution?: TaskExecution,
    resumed?: JournalTask,
  ): void {
    const { taskId } = record;
    const options = command.options ?? {};
    let resume: AgentResume | undefined;
    if (resumed) {
      resume = resumeOf(resumed);
      this.#options.sessions.append(taskId, {
        kind: 'resumed',
        interruptedToolCalls: resume.interrupted.map((call) => call.toolCallId),
      });
      record.logger.info({ spaceId, interrupted: resume.interrupted.length }, 'task resumed');
    } else {
      this.#publish({ type: 'task:started', taskId, spaceId });
      this.#options.journal?.start(taskId, command, spaceId);
      this.#options.sessions.append(taskId, {
        kind: 'submit',
        goal: command.goal,
        ...(command.messages ? { messages: command.messages } : {}),
        options,
        spaceId,
      });
      record.logger.info({ spaceId }, 'task started');
    }
    const request: AgentTaskRequest = {
      taskId,
      goal: command.goal,
      ...(command.messages ? { messages: command.messages } : {}),
      options: { ...options, cwd: spaceId },
      ...(resume ? { resume } : {}),
    };
    const environment: AgentEnvironment = {
      home: this.#options.home,
      config: this.#options.getConfig(),
      env: this.#options.env,
      logger: record.logger,
      ...(execution ? { execution } : {}),
      ...(this.#options.sandbox ? { sandbox: this.#options.sandbox } : {}),
      ...(this.#options.knownSecrets ? { knownSecrets: this.#options.knownSecrets } : {}),
      ...(this.#options.mcp ? { mcp: this.#options.mcp } : {}),
      ...(this.#options.modelSource ? { modelSource: this.#options.modelSource() } : {}),
      ...(this.#options.delegation ? { delegation: this.#options.delegation(taskId) } : {}),
    };
    try {
      record.agentTask = this.#options.startAgentTask(request, this.#callbacks(record), environment);
    } catch (error) {
      this.#finish(record, { status: 'error', error: `the agent could not start: ${errorText(error)}` });
      return;
    }
    record.agentTask.done.then(
      (outcome) => this.#finish(record, outcome),
      (error: unknown) => this.#finish(record, { status: 'error', error: errorText(error) }),
    );
  }

  stop(taskId: string, reason: string): RuntimeResult {
    const found = this.#running(taskId);
    if (!found.ok) return found;
    this.#options.sessions.append(taskId, { kind: 'stop', reason });
    found.record.stopReason ??= reason;
    found.record.agentTask?.stop(reason);
    return { ok: true };
  }

  send(taskId: string, followUp: AgentFollowUp): RuntimeResult {
    const found = this.#running(taskId);
    if (!found.ok) return found;
    this.#options.sessions.append(taskId, { kind: 'message', ...followUp });
    this.#options.batch?.begin();
    this.#options.journal?.followUp(taskId, followUp);
    found.record.agentTask?.send(followUp);
    return { ok: true };
  }

  answerApproval(taskId: string, approvalId: string, approved: boolean, reason?: string): RuntimeResult {
    const found = this.#running(taskId);
    if (!found.ok) return found;
    if (!found.record.agentTask?.answerApproval(approvalId, approved, reason)) {
      return {
        ok: false,
        code: 'not_found',
        message: `no approval ${approvalId} is waiting on task ${taskId}`,
      };
    }
    this.#options.sessions.append(taskId, {
      kind: 'approval',
      approvalId,
      approved,
      ...(reason !== undefined ? { reason } : {}),
    });
    return { ok: true };
  }

  /** A cumulative `task:ack`: releases the events and forgets the task once it is fully delivered. */
  acknowledge(taskId: string, seq: number): void {
    this.#options.batch?.begin();
    this.#options.outbox.ack(taskId, seq);
    const record = this.#tasks.get(taskId);
    if (record?.ended) this.#forgetIfDelivered(record);
  }

  /** Stops every running task and waits (at most `timeoutMs`) until they have ended. */
  async stopAll(reason: string, timeoutMs: number): Promise<void> {
    const running = [...this.#tasks.values()].filter((record) => !record.ended && record.agentTask);
    for (const record of running) this.stop(record.taskId, reason);
    await withTimeout(
      Promise.all(running.map((record) => record.agentTask!.done.catch(() => undefined))),
      timeoutMs,
    );
  }

  /**
   * A graceful restart: every running task finishes its current step (at most `timeoutMs`) and
   * ends here without a final event; its journal row stays, so the next process resumes it.
   */
  async suspendAll(timeoutMs: number): Promise<void> {
    const running = [...this.#tasks.values()].filter((record) => !record.ended && record.agentTask);
    for (const record of running) {
      record.suspended = true;
      record.agentTask!.suspend?.();
    }
    await withTimeout(
      Promise.all(running.map((record) => record.agentTask!.done.catch(() => undefined))),
      timeoutMs,
    );
  }

  /** Resolves when every event has been acknowledged, or after `timeoutMs`. */
  async waitForAcks(timeoutMs: number): Promise<void> {
    if (this.#options.outbox.size === 0) return;
    await withTimeout(new Promise<void>((done) => this.#drainWaiters.push(done)), timeoutMs);
  }

  #running(
    taskId: string,
  ): { ok: true; record: TaskRecord } | { ok: false; code: ErrorCode; message: string } {
    const record = this.#tasks.get(taskId);
    if (record && !record.ended) return { ok: true, record };
    if (record || this.#finished.has(taskId)) {
      return { ok: false, code: 'task_finished', message: `task ${taskId} has already ended` };
    }
    return { ok: false, code: 'not_found', message: `task ${taskId} is not on this viber` };
  }

  #callbacks(record: TaskRecord): AgentTaskCallbacks {
    return {
      onChunk: (chunk) => this.#relayChunk(record, chunk as unknown as UIChunk),
      onCheckpoint: (checkpoint) => {
        if (record.ended) return;
        this.#options.batch?.begin();
        this.#options.journal?.checkpoint(record.taskId, checkpoint);
      },
      onProgress: (event) => {
        if (record.ended || record.dropping) return;
        const parsed = TaskProgressEventSchema.safeParse(record.redactor.redactDeep(event));
        if (!parsed.success) {
          record.logger.warn('agent emitted an invalid progress event; dropped');
          return;
        }
        this.metrics.progress(record.taskId, parsed.data);
        const entry = this.#publish({ type: 'task:progress', taskId: record.taskId, event: parsed.data });
        if (parsed.data.kind === 'message-applied') {
          this.#options.journal?.applied(record.taskId, parsed.data.messageId);
        }
        this.#options.sessions.append(record.taskId, {
          kind: 'progress',
          seq: entry.event.seq,
          event: parsed.data,
        });
      },
    };
  }

  #relayChunk(record: TaskRecord, chunk: UIChunk): void {
    if (record.ended || record.dropping) return;
    this.metrics.chunk(record.taskId, chunk);
    let pieces: UIChunk[];
    try {
      if (!UIChunkSchema.safeParse(chunk).success) throw new Error('not a UI message chunk');
      // Secrets are blanked before the chunk is numbered, sent or written to the session file.
      pieces = fitChunk(
        record.redactor.redactDeep(chunk),
        this.#options.maxFrameBytes() - EVENT_ENVELOPE_BYTES,
      );
    } catch (error) {
      record.logger.warn({ reason: errorText(error) }, 'agent emitted a chunk that cannot be sent; dropped');
      return;
    }
    for (const piece of pieces) {
      const entry = this.#publish({ type: 'task:stream-chunk', taskId: record.taskId, chunk: piece });
      this.#options.sessions.append(record.taskId, { kind: 'chunk', seq: entry.event.seq, chunk: piece });
      this.#options.journal?.chunk(record.taskId, piece as { type: string });
    }
    const outbox = this.#options.outbox;
    if (outbox.overflowing && !record.dropping) {
      record.dropping = true;
      const reason = outbox.diskError
        ? `outbox full: ${outbox.diskError}`
        : `outbox full: the gateway has not acknowledged ${outbox.size} events (${outbox.bytes} bytes)`;
      record.logger.error(reason);
      record.agentTask?.stop(reason);
    }
  }

  #finish(record: TaskRecord, outcome: AgentTaskOutcome): void {
    if (record.ended) return;
    record.ended = true;
    const { taskId } = record;
    this.metrics.taskEnded(taskId);
    if (record.suspended && outcome.status === 'stopped' && outcome.reason === SUSPENDED_REASON) {
      this.#options.sessions.append(taskId, { kind: 'suspended' });
      record.logger.info('task suspended; the next start resumes it');
      return;
    }
    const event = terminalEvent(taskId, record.redactor.redactDeep(outcome));
    record
      .release?.()
      .catch((error: unknown) => record.logger.warn({ err: error }, 'environment copy not removed'));
    this.#publish(event);
    this.#options.journal?.end(taskId);
    this.#options.sessions.append(taskId, outcomeRecord(event));
    void this.#options.sessions.close(taskId);
    record.logger.info({ status: event.type }, 'task ended');
    this.#forgetIfDelivered(record);
  }

  #forgetIfDelivered(record: TaskRecord): void {
    const outbox = this.#options.outbox;
    // A suspended task is not over: its numbering must survive for the next process.
    if (record.suspended || outbox.pendingCount(record.taskId) > 0) return;
    outbox.forget(record.taskId);
    this.#tasks.delete(record.taskId);
    this.#finished.add(record.taskId);
    if (outbox.size === 0) {
      const waiters = this.#drainWaiters;
      this.#drainWaiters = [];
      for (const done of waiters) done();
    }
  }

  #publish(event: UnnumberedTaskEvent): OutboxEntry {
    this.#options.batch?.begin();
    const entry = this.#options.outbox.append(event, this.#options.maxFrameBytes());
    this.#options.publish(entry);
    return entry;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function withTimeout(promise: Promise<unknown>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise<void>((done) => (timer = setTimeout(done, timeoutMs)))]);
  clearTimeout(timer);
}
