import { describe, expect, it } from 'vitest';
import type { AgentTaskOutcome } from '../agent/agent-task.ts';
import { TaskEventSchema } from '../protocol/index.ts';
import { terminalEvent } from './task-outcome.ts';

describe('terminalEvent', () => {
  it('always yields a final event the gateway accepts', () => {
    const outcomes = [
      { status: 'completed', result: { text: 'ok', finishReason: 'stop' } },
      { status: 'completed', result: { text: 42 } },
      { status: 'error', error: 'x'.repeat(20_000) },
      { status: 'stopped', reason: 'y'.repeat(5_000) },
      { status: 'exploded' },
      undefined,
    ] as unknown as AgentTaskOutcome[];
    const events = outcomes.map((outcome) => terminalEvent('task_a', outcome));
    expect(events.map((event) => event.type)).toEqual([
      'task:completed',
      'task:error',
      'task:error',
      'task:stopped',
      'task:error',
      'task:error',
    ]);
    for (const event of events) expect(TaskEventSchema.safeParse({ ...event, seq: 1 }).success).toBe(true);
  });
});
