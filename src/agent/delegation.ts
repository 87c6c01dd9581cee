import type {
  AutonomyMode,
  ChildOutcome,
  DelegatedChild,
  DelegateTarget,
  TaskBudget,
} from '../protocol/index.ts';

export type { ChildOutcome, DelegatedChild };

/** What the delegate tool asks the gateway for, through whoever runs the task. */
export interface DelegationRequest extends DelegateTarget {
  /** The delegate tool call's id: asked twice, the gateway starts one child. */
  requestId: string;
  /** The parent's effective mode: the child gets no more autonomy. */
  parentMode: AutonomyMode;
  /** What is left of the parent's per-task budget. */
  budget?: TaskBudget;
}

/** The gateway refused a delegation: its code and the reason, told to the model as is. */
export class DelegationRefused extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'DelegationRefused';
    this.code = code;
  }

  static isInstance(error: unknown): error is DelegationRefused {
    return error instanceof Error && error.name === 'DelegationRefused';
  }
}

/**
 * How one task reaches the gateway to delegate (docs/delegation.md). The agent knows nothing of
 * sockets: the daemon gives each task a port; `viber run` gives none, and the task has no
 * delegate tool.
 */
export interface DelegationPort {
  /**
   * Starts a child task; rejects with DelegationRefused (or when `signal` aborts). With `wait`
   * false nobody calls waitForEnd: the child's end reaches the task as a follow-up message, which
   * whoever runs the task records before it acknowledges that end (docs/delegation.md).
   */
  start(request: DelegationRequest, options: { signal: AbortSignal; wait: boolean }): Promise<DelegatedChild>;
  /** The end of the child a delegate call started with `wait`; rejects when `signal` aborts. */
  waitForEnd(requestId: string, signal: AbortSignal): Promise<ChildOutcome>;
  /** The task ended: nothing more is waited for. */
  close(): void;
}
