import { describe, expect, it } from 'vitest';
import { TASK_STATUS_LABELS, taskStateLabel } from './task-labels.ts';

describe('taskStateLabel', () => {
  it('reads a running task by what it does, and any other by its status', () => {
    expect(taskStateLabel({ status: 'running', activity: 'awaiting-approval' })).toBe('Needs approval');
    expect(taskStateLabel({ status: 'running', activity: 'tool' })).toBe('Running a tool');
    expect(taskStateLabel({ status: 'running', activity: 'idle' })).toBe('Running');
    expect(taskStateLabel({ status: 'running', activity: null })).toBe('Running');
    expect(taskStateLabel({ status: 'running', activity: 'thinking', stopRequested: true })).toBe('Stopping');
    // An activity left over from before the task ended never hides how it ended.
    expect(taskStateLabel({ status: 'completed', activity: 'awaiting-approval' })).toBe('Completed');
    for (const status of ['pending', 'completed', 'error', 'stopped'] as const)
      expect(taskStateLabel({ status })).toBe(TASK_STATUS_LABELS[status]);
  });
});
