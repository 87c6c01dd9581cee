import type { AgentFollowUp } from '../agent/agent-task.ts';
import type { ChildOutcome, DelegatedChild, DelegationPort, DelegationRequest } from '../agent/delegation.ts';
import { DelegationRefused } from '../agent/delegation.ts';
import { childEndFollowUp } from '../agent/tools/delegate.ts';
import type { Logger } from '../core/logger.ts';
import type { DaemonMessage, GatewayMessage } from '../protocol/index.ts';
import { RecentIds } from './command-dedupe.ts';
import type { RuntimeResult } from './task-runtime.ts';

type DelegationAnswer = Extract<GatewayMessage, { type: 'task:delegated' | 'task:delegate-refused' }>;
type ChildEnded = Extract<GatewayMessage, { type: 'task:child-ended' }>;

interface PendingStart {
  taskId: string;
  message: Extract<DaemonMessage, { type: 'task:delegate' }>;
  /** Whether the delegate call will wait for the child's end (else it goes to the task as a message). */
  wait: boolean;
  resolve(child: DelegatedChild): void;
  reject(error: Error): void;
}

interface Waiter {
  taskId: string;
  resolve(outcome: ChildOutcome): void;
}

const aborted = () => new DelegationRefused('aborted', 'the task was stopped while it delegated');

/**
 * The daemon's side of delegation (docs/delegation.md): sends a task's `task:delegate` (again after
 * every reconnect until the gateway answers: the gateway starts one child per request id), and hands
 * each child's end (`task:child-ended`, a durable command) to whoever waits for it: the delegate
 * tool, else the task itself as a follow-up message, which `deliver` journals like an operator's
 * `task:message` before the command is acknowledged (a restarted daemon still has it). A child's
 * end is acted on once.
 */
export class DelegationBroker {
  readonly #send: (message: DaemonMessage) => boolean;
  readonly #log: Logger;
  readonly #starts = new Map<string, PendingStart>();
  readonly #waiters = new Map<string, Waiter>();
  /** Ends that came before anyone waited (the start's answer was lost and is being asked again). */
  readonly #early = new Map<string, ChildOutcome>();
  readonly #deliver: (taskId: string, followUp: AgentFollowUp) => RuntimeResult;
  readonly #ended = new RecentIds(10_000);

  constructor(options: {
    send(message: DaemonMessage): boolean;
    /** A follow-up for a running task, journaled before it is handed over (TaskRuntime.send). */
    deliver(taskId: string, followUp: AgentFollowUp): RuntimeResult;
    logger: Logger;
  }) {
    this.#send = options.send;
    this.#deliver = options.deliver;
    this.#log = options.logger.child({ component: 'delegation' });
  }

  /** The port of one task: what its delegate tool uses. */
  portFor(taskId: string): DelegationPort {
    return {
      start: (request, { signal, wait }) => this.#start(taskId, request, signal, wait),
      waitForEnd: (requestId, signal) => this.#wait(taskId, requestId, signal),
      close: () => this.#close(taskId),
    };
  }

  /** After a reconnect: the requests the gateway has not answered go again. */
  resendPending(): void {
    for (const start of this.#starts.values()) this.#send(start.message);
  }

  /** `task:delegated` or `task:delegate-refused`. */
  answer(message: DelegationAnswer): void {
    const start = this.#starts.get(message.requestId);
    if (!start) return; // answered already (a request sent twice is answered twice)
    this.#starts.delete(message.requestId);
    if (message.type === 'task:delegate-refused') {
      start.reject(new DelegationRefused(message.code, message.message));
      return;
    }
    const { childTaskId, viberId, viberName, mode } = message;
    start.resolve({ childTaskId, viberId, viberName, mode });
  }

  /**
   * `task:child-ended`: to the delegate call waiting for it, else to its task as a follow-up
   * (journaled first: the command router acknowledges the command behind that write).
   */
  childEnded(command: ChildEnded): RuntimeResult {
    const { type: _type, commandId: _commandId, taskId, ...outcome } = command;
    if (!this.#ended.add(outcome.childTaskId)) return { ok: true };
    const waiter = this.#waiters.get(outcome.requestId);
    if (waiter) {
      this.#waiters.delete(outcome.requestId);
      waiter.resolve(outcome);
      return { ok: true };
    }
    // The start's answer was lost and is being asked again: the call that will wait takes it then.
    if (this.#starts.get(outcome.requestId)?.wait) {
      this.#early.set(outcome.requestId, outcome);
      return { ok: true };
    }
    const delivered = this.#deliver(taskId, childEndFollowUp(outcome));
    if (!delivered.ok) {
      this.#log.info(
        { taskId, childTaskId: outcome.childTaskId, code: delivered.code },
        'a child ended after its parent left this viber',
      );
    }
    return delivered;
  }

  #start(
    taskId: string,
    request: DelegationRequest,
    signal: AbortSignal,
    wait: boolean,
  ): Promise<DelegatedChild> {
    if (signal.aborted) return Promise.reject(aborted());
    return new Promise<DelegatedChild>((resolve, reject) => {
      const message: PendingStart['message'] = { type: 'task:delegate', taskId, ...request };
      const onAbort = () => {
        this.#starts.delete(request.requestId);
        reject(aborted());
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#starts.set(request.requestId, {
        taskId,
        message,
        wait,
        resolve: (child) => {
          signal.removeEventListener('abort', onAbort);
          resolve(child);
        },
        reject: (error) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      });
      // Not connected: it goes with resendPending on the next connection.
      this.#send(message);
    });
  }

  #wait(taskId: string, requestId: string, signal: AbortSignal): Promise<ChildOutcome> {
    const early = this.#early.get(requestId);
    if (early) {
      this.#early.delete(requestId);
      return Promise.resolve(early);
    }
    if (signal.aborted) return Promise.reject(aborted());
    return new Promise<ChildOutcome>((resolve, reject) => {
      const onAbort = () => {
        this.#waiters.delete(requestId);
        reject(aborted());
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#waiters.set(requestId, {
        taskId,
        resolve: (outcome) => {
          signal.removeEventListener('abort', onAbort);
          resolve(outcome);
        },
      });
    });
  }

  #close(taskId: string): void {
    for (const [requestId, start] of this.#starts) {
      if (start.taskId !== taskId) continue;
      this.#starts.delete(requestId);
      start.reject(aborted());
    }
    for (const [requestId, waiter] of this.#waiters)
      if (waiter.taskId === taskId) this.#waiters.delete(requestId);
  }
}
