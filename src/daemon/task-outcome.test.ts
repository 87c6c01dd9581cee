import { describe, expect, it } from 'vitest';
import type { AgentTaskOutcome } from '../agent/agent-task.ts';
import { LIMITS, TaskEventSchema } from '../protocol/index.ts';
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

  it('clips a final answer over the result limit with a note, so its frame always fits', () => {
    const text = `${'ab😀'.repeat(700_000)}`;
    const event = terminalEvent('task_a', { status: 'completed', result: { text, finishReason: 'stop' } });
    if (event.type !== 'task:completed') throw new Error(`expected task:completed, got ${event.type}`);
    expect(event.result.text.length).toBeLessThanOrEqual(LIMITS.maxResultChars);
    expect(event.result.text).toMatch(
      new RegExp(
        `\\[answer clipped to ${LIMITS.maxResultChars} of ${text.length} characters; the task stream has all of it\\]$`,
      ),
    );
    expect(text.startsWith(event.result.text.split('\n\n[answer clipped')[0]!)).toBe(true);
    expect(event.result.finishReason).toBe('stop');
    const frame = JSON.stringify({ ...event, seq: 1 });
    expect(Buffer.byteLength(frame)).toBeLessThanOrEqual(LIMITS.maxFrameBytes);
    const short = terminalEvent('task_a', { status: 'completed', result: { text: 'fine' } });
    expect(short).toEqual({ type: 'task:completed', taskId: 'task_a', result: { text: 'fine' } });
  });
});
