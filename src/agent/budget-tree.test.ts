import { describe, expect, it } from 'vitest';
import { useAgentTest } from '../../test/support/in-process/agent-test.ts';
import type { ConfigFile } from '../core/config.ts';
import type { TaskBudget } from '../protocol/index.ts';
import { BudgetGuard } from './budget.ts';
import { DailyUsageStore, dailyUsagePath } from './usage-store.ts';

// Budgets over a tree of tasks (docs/delegation.md): a child gets what is left of its parent's
// per-task limit, and its usage counts in its parent's.

const agent = useAgentTest();
const NOW = new Date('2025-03-04T10:00:00Z');
const step = (input: number, output: number) => ({
  inputTokens: input,
  outputTokens: output,
  totalTokens: input + output,
  inputTokenDetails: { noCacheTokens: input, cacheReadTokens: 0, cacheWriteTokens: 0 },
  outputTokenDetails: { textTokens: output, reasoningTokens: 0 },
});

function guard(budget: ConfigFile['budget'], taskLimit?: TaskBudget) {
  const store = new DailyUsageStore(dailyUsagePath(agent.home));
  return new BudgetGuard({
    budget,
    modelRef: 'custom/m',
    store,
    now: () => NOW,
    ...(taskLimit ? { taskLimit } : {}),
  });
}

describe('budgets over a tree of tasks', () => {
  it("gives a child what is left, and counts the child's usage in the parent's", () => {
    const parent = guard({ perTask: { tokens: 1000 } });
    parent.record(step(200, 100));
    expect(parent.remaining()).toEqual({ tokens: 700 });
    parent.addChildUsage({ inputTokens: 500, outputTokens: 150, totalTokens: 650 });
    expect(parent.taskUsage.totalTokens).toBe(950);
    expect(parent.remaining()).toEqual({ tokens: 50 });
    parent.addChildUsage({ inputTokens: 100, outputTokens: 0, totalTokens: 100 });
    expect(parent.check()).toBe('budget exceeded: per-task tokens (1050/1000)');
    // Only the parent's own steps count in today's total: the child's viber counted its own.
    expect(new DailyUsageStore(dailyUsagePath(agent.home)).read('2025-03-04').totalTokens).toBe(300);
  });

  it("applies the lower of the viber's limit and the task's own", () => {
    const child = guard({ perTask: { tokens: 1000 } }, { tokens: 120 });
    child.record(step(100, 30));
    expect(child.check()).toBe('budget exceeded: per-task tokens (130/120)');
    const unlimitedViber = guard({}, { tokens: 50 });
    expect(unlimitedViber.remaining()).toEqual({ tokens: 50 });
    expect(guard({}).remaining()).toBeUndefined();
  });
});
