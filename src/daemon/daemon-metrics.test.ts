import { describe, expect, it } from 'vitest';
import { DaemonMetricsSchema } from '../protocol/index.ts';
import { DaemonMetricsCounter } from './daemon-metrics.ts';

describe('DaemonMetricsCounter', () => {
  it('counts model steps, tokens as they grow, tool calls and failures, from what tasks send', () => {
    let now = 1_000;
    const counter = new DaemonMetricsCounter(() => now);
    counter.progress('task_a', { kind: 'status', detail: 'thinking' });
    now += 250;
    counter.chunk('task_a', { type: 'start-step' });
    counter.chunk('task_a', { type: 'tool-input-available' });
    counter.chunk('task_a', { type: 'tool-output-available', output: { entries: [] } });
    counter.progress('task_a', {
      kind: 'usage',
      usage: { inputTokens: 10, outputTokens: 4, totalTokens: 14 },
    });
    // A start-step with no step begun before it is not measured.
    counter.chunk('task_a', { type: 'start-step' });
    counter.progress('task_a', { kind: 'status', detail: 'thinking' });
    now += 500;
    counter.chunk('task_a', { type: 'start-step' });
    counter.chunk('task_a', { type: 'tool-input-error' });
    counter.chunk('task_a', { type: 'tool-output-error' });
    // The agent's own failed result: a tool that threw or refused its input.
    counter.chunk('task_a', { type: 'tool-input-available' });
    counter.chunk('task_a', {
      type: 'tool-output-available',
      output: { evidenceId: 'c', error: 'bad path' },
    });
    // Usage is the task's total so far: only what grew counts.
    counter.progress('task_a', {
      kind: 'usage',
      usage: { inputTokens: 25, outputTokens: 6, totalTokens: 31 },
    });
    counter.progress('task_b', { kind: 'usage', usage: { inputTokens: 5, outputTokens: 1, totalTokens: 6 } });
    counter.taskEnded('task_a');
    const snapshot = counter.snapshot();
    expect(snapshot).toEqual({
      modelCalls: 2,
      modelLatencySeconds: 0.75,
      inputTokens: 30,
      outputTokens: 7,
      toolCalls: 3,
      toolFailures: 3,
    });
    expect(DaemonMetricsSchema.parse(snapshot)).toEqual(snapshot);
  });
});
