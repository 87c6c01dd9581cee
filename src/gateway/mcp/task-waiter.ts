import { OpenViberError } from '../../core/errors.ts';
import { type GatewayMcpWaitOutcome, isTerminalTaskStatus } from '../../protocol/index.ts';
import { taskTopic } from '../bus/gateway-topics.ts';
import type { TopicBus } from '../bus/topic-bus.ts';
import type { TaskRecord, TasksStore } from '../store/index.ts';
import type { WaitingApproval } from '../tasks/pending-approvals.ts';

const LOG_PAGE = 500;

export interface TaskWaiterDeps {
  store: Pick<TasksStore, 'getTask' | 'readTaskLog'>;
  bus: TopicBus;
  approvals: { waitingApprovals(taskId: string): Promise<WaitingApproval[]> };
}

export interface WaitOptions {
  timeoutMs: number;
  /** Aborted when the client cancels the call, its connection closes, or the gateway closes. */
  signal: AbortSignal;
  /** Told the task's last seq and status whenever new events were stored (progress notifications). */
  onProgress?: (task: TaskRecord) => Promise<void>;
}

export interface WaitResult {
  task: TaskRecord;
  outcome: GatewayMcpWaitOutcome;
  approvals: WaitingApproval[];
}

/**
 * wait_for_task: until the task ends, a tool call of it waits for the operator, or the timeout.
 * The task's topic is only a hint that something changed (a networked bus may drop one): each
 * wake reads the task from the store, and the waiting approvals again only when an approval chunk
 * was stored, so a streaming task costs one row read per wake, not a log scan. Changes that come
 * while a read is under way are taken in by the next one: a fast stream makes fewer wakes, never
 * a missed end.
 */
export async function waitForTask(
  deps: TaskWaiterDeps,
  taskId: string,
  options: WaitOptions,
): Promise<WaitResult> {
  let changed = true;
  let approvalsChanged = true;
  // Another gateway's rows come as hints: whether one was an approval chunk, the log says.
  let hinted = false;
  /** Rows up to here were looked at for approval chunks; `lastSeen`, the task's last seq read. */
  let scannedSeq = 0;
  let lastSeen = 0;
  let wake: (() => void) | undefined;
  const unsubscribe = deps.bus.subscribe(taskTopic(taskId), (change) => {
    changed = true;
    if (change.type === 'task.event-appended' && change.event.payload.includes('"tool-approval-')) {
      approvalsChanged = true;
    } else if (change.type === 'task.events-available' || change.type === 'bus.resynced') hinted = true;
    wake?.();
  });
  const deadline = Date.now() + options.timeoutMs;
  let reportedSeq = -1;
  try {
    for (;;) {
      changed = false;
      // The approvals first: the task read after them is at least as new (an end wins).
      let approvals: WaitingApproval[] = [];
      if (hinted) {
        hinted = false;
        const read = await approvalChunkAfter(deps.store, taskId, scannedSeq);
        scannedSeq = read.seq;
        if (read.found) approvalsChanged = true;
      }
      if (approvalsChanged) {
        approvalsChanged = false;
        // Every row stored before the last task read is in the scan below.
        scannedSeq = Math.max(scannedSeq, lastSeen);
        approvals = await deps.approvals.waitingApprovals(taskId);
      }
      const task = await deps.store.getTask(taskId);
      if (!task) throw new OpenViberError('not_found', `task ${taskId} not found`, 404);
      lastSeen = task.lastSeq;
      if (isTerminalTaskStatus(task.status)) return { task, outcome: 'finished', approvals: [] };
      if (approvals.length > 0) return { task, outcome: 'awaiting-approval', approvals };
      if (options.onProgress && task.lastSeq > reportedSeq) {
        reportedSeq = task.lastSeq;
        await options.onProgress(task);
      }
      const left = deadline - Date.now();
      if (left <= 0 || options.signal.aborted) return { task, outcome: 'timeout', approvals };
      if (!changed) await sleepUntilWoken(left, options.signal, (resolve) => (wake = resolve));
      wake = undefined;
    }
  } finally {
    unsubscribe();
  }
}

/** Resolves on a wake, after `ms`, or when the signal aborts, and leaves no timer behind. */
function sleepUntilWoken(
  ms: number,
  signal: AbortSignal,
  setWake: (resolve: () => void) => void,
): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    setWake(done);
  });
}

/** Whether an approval chunk is stored after `after`, and the last seq read. */
async function approvalChunkAfter(
  store: Pick<TasksStore, 'readTaskLog'>,
  taskId: string,
  after: number,
): Promise<{ found: boolean; seq: number }> {
  let found = false;
  for (let seq = after; ; ) {
    const rows = await store.readTaskLog(taskId, seq, LOG_PAGE);
    for (const row of rows) {
      seq = row.seq;
      found ||= row.payload.includes('"tool-approval-');
    }
    if (rows.length < LOG_PAGE) return { found, seq };
  }
}
