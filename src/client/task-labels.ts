import type { TaskActivity, TaskStatus } from '../protocol/index.ts';

/**
 * The words a person reads for a task's state, the same on the board and in the CLI: its stored
 * status, or what a running task is doing right now (waiting on an approval reads "Needs
 * approval", not "Running"). The wire keeps the machine values; only these labels are shown.
 */
export const TASK_STATUS_LABELS: Record<TaskStatus, string> = {
  pending: 'Pending',
  running: 'Running',
  completed: 'Completed',
  error: 'Error',
  stopped: 'Stopped',
};

export const TASK_ACTIVITY_LABELS: Record<TaskActivity, string> = {
  thinking: 'Thinking',
  tool: 'Running a tool',
  'awaiting-approval': 'Needs approval',
  idle: 'Idle',
};

export interface TaskStateOfView {
  status: TaskStatus;
  /** What a running task is doing (board events, `events.ready`), if known. */
  activity?: TaskActivity | null | undefined;
  stopRequested?: boolean | undefined;
}

/** The one label for a task's state: "Stopping", the running task's activity, or its status. */
export function taskStateLabel({ status, activity, stopRequested }: TaskStateOfView): string {
  if (status === 'running' && stopRequested) return 'Stopping';
  if (status === 'running' && activity && activity !== 'idle') return TASK_ACTIVITY_LABELS[activity];
  return TASK_STATUS_LABELS[status];
}
