import { readFileSync } from 'node:fs';
import { tool } from 'ai';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { chunkTypes, useAgentTest } from '../../test/support/in-process/agent-test.ts';
import { scriptedModel, textTurn, toolTurn } from '../../test/support/scripted-model.ts';
import type { ConfigFile } from '../core/config.ts';
import { BudgetGuard } from './budget.ts';
import { DailyUsageStore, dailyUsagePath, flushDailyUsage } from './usage-store.ts';

const agent = useAgentTest();

const NOW = new Date('2025-03-04T10:00:00Z');
const steps = (input: number, output: number) => ({
  inputTokens: input,
  outputTokens: output,
  totalTokens: input + output,
  inputTokenDetails: { noCacheTokens: input, cacheReadTokens: 0, cacheWriteTokens: 0 },
  outputTokenDetails: { textTokens: output, reasoningTokens: 0 },
});

function guard(budget: ConfigFile['budget'], modelRef = 'openai/test-model') {
  return new BudgetGuard({
    budget,
    modelRef,
    store: new DailyUsageStore(dailyUsagePath(agent.home)),
    now: () => NOW,
  });
}

describe('BudgetGuard', () => {
  it('names the per-task token limit once it is reached', () => {
    const budget = guard({ perTask: { tokens: 100 } });
    expect(budget.check()).toBeUndefined();
    budget.record(steps(40, 10));
    expect(budget.check()).toBeUndefined();
    budget.record(steps(40, 20));
    expect(budget.check()).toBe('budget exceeded: per-task tokens (110/100)');
  });

  it('stops before a call that would cross the limit: the next call resends at least the last input', () => {
    const budget = guard({ perTask: { tokens: 1000 } });
    budget.record(steps(500, 100));
    expect(budget.check()).toBe(
      'budget exceeded: per-task tokens (600/1000); the next model call would need at least 500 more',
    );
  });

  it('prices usage per model and enforces cost limits', () => {
    const budget = guard({
      perTask: { costUsd: 0.01 },
      prices: { 'openai/test-model': { inputPerMillion: 2, outputPerMillion: 8 } },
    });
    expect(budget.configurationError()).toBeUndefined();
    budget.record(steps(1000, 1000)); // 0.002 + 0.008
    expect(budget.taskUsage.costUsd).toBeCloseTo(0.01, 10);
    expect(budget.check()).toBe('budget exceeded: per-task cost in USD (0.01/0.01)');
  });

  it('refuses a cost limit for a model without a price', () => {
    expect(guard({ perDay: { costUsd: 5 } }).configurationError()).toMatch(
      /no price for "openai\/test-model"/,
    );
  });

  it('keeps per-day usage in a file shared by every task of the day', () => {
    guard({}).record(steps(10, 5));
    guard({}).record(steps(20, 5));
    // Counted at once in this process, before the write that carries both steps.
    expect(guard({ perDay: { tokens: 40 } }).check()).toBe('budget exceeded: per-day tokens (40/40)');
    flushDailyUsage();
    const file = JSON.parse(readFileSync(dailyUsagePath(agent.home), 'utf8'));
    expect(file.days['2025-03-04']).toEqual({
      inputTokens: 30,
      outputTokens: 10,
      totalTokens: 40,
      costUsd: 0,
    });
    expect(guard({ perDay: { tokens: 40 } }).check()).toBe('budget exceeded: per-day tokens (40/40)');
  });
});

describe('budgets in a task', () => {
  const loopTools = () => ({
    noop: tool({ inputSchema: z.object({}), execute: async () => ({ ok: true }) }),
  });
  const catalog = { noop: { kind: 'read' as const, summary: 'noop' } };

  it('a run that reaches the per-task limit stops with a budget error naming it', async () => {
    const model = scriptedModel([
      toolTurn([{ id: 'c1', name: 'noop', input: {} }], [100, 20]),
      toolTurn([{ id: 'c2', name: 'noop', input: {} }], [150, 20]),
      textTurn('never reached'),
    ]);
    const h = agent.start({
      model,
      tools: loopTools,
      catalog,
      config: { budget: { perTask: { tokens: 250 } } },
      dependencies: { now: () => NOW },
    });
    expect(await h.task.done).toEqual({
      status: 'error',
      error: 'budget exceeded: per-task tokens (290/250)',
    });
    expect(model.doStreamCalls).toHaveLength(2);
    expect(h.chunks).toContainEqual({
      type: 'error',
      errorText: 'budget exceeded: per-task tokens (290/250)',
    });
    expect(h.progress.filter((event) => event.kind === 'usage').at(-1)).toEqual({
      kind: 'usage',
      usage: { inputTokens: 250, outputTokens: 40, totalTokens: 290 },
    });
  });

  it('a day that is used up fails the next task at once', async () => {
    const config: ConfigFile = { budget: { perDay: { tokens: 150 } } };
    const first = agent.start({
      model: scriptedModel([textTurn('a', [100, 20])]),
      config,
      dependencies: { now: () => NOW },
    });
    expect((await first.task.done).status).toBe('completed');
    const second = agent.start({
      model: scriptedModel([textTurn('b', [100, 20])]),
      config,
      dependencies: { now: () => NOW },
    });
    expect((await second.task.done).status).toBe('completed');
    const model = scriptedModel([]);
    const third = agent.start({ model, config, dependencies: { now: () => NOW } });
    expect(await third.task.done).toEqual({
      status: 'error',
      error: 'budget exceeded: per-day tokens (240/150)',
    });
    expect(model.doStreamCalls).toHaveLength(0);
    expect(chunkTypes(third.chunks)).toEqual(['start', 'error', 'data-report']);
  });

  it('a cost limit without a price fails the task before it starts', async () => {
    const h = agent.start({
      model: scriptedModel([]),
      config: { budget: { perTask: { costUsd: 1 } } },
    });
    const outcome = await h.task.done;
    expect(outcome.status === 'error' && outcome.error).toMatch(/budget\.prices has no price/);
  });
});
