import type { LanguageModelUsage } from 'ai';
import type { ConfigFile } from '../core/config.ts';
import type { TaskBudget, TokenUsage } from '../protocol/index.ts';
import { addUsage, type DailyUsageStore, type UsageTotals, utcDay, ZERO_USAGE } from './usage-store.ts';

type BudgetConfig = NonNullable<ConfigFile['budget']>;
type Price = NonNullable<BudgetConfig['prices']>[string];

interface LimitCheck {
  name: string;
  used: number;
  limit: number | undefined;
  /** What the next model call costs at least: it resends at least the last call's input. */
  next: number;
  unit: 'tokens' | 'usd';
}

/**
 * The viber's budget policy for one task: per-task and per-day limits on tokens and on cost,
 * cost from the price table per model (`provider/model`, US dollars per million tokens).
 * Usage is recorded after every step; `check` runs before every further model call and names the
 * first limit that is reached, or that the next call would cross: the conversation only grows,
 * so the next call needs at least the input tokens of the last one.
 */
export class BudgetGuard {
  private readonly budget: BudgetConfig;
  /** The per-task limits in force: the viber's, lowered by the task's own (a delegated child's). */
  private readonly perTask: TaskBudget;
  private readonly price: Price | undefined;
  private readonly modelRef: string;
  private readonly store: DailyUsageStore;
  private readonly now: () => Date;
  private task: UsageTotals = { ...ZERO_USAGE };
  private lastInputTokens = 0;

  constructor(options: {
    budget: ConfigFile['budget'];
    modelRef: string;
    store: DailyUsageStore;
    now: () => Date;
    /** The task's own limit (`options.budget`): the lower of it and the viber's applies. */
    taskLimit?: TaskBudget;
  }) {
    this.budget = options.budget ?? {};
    this.perTask = {
      ...definedMin('tokens', this.budget.perTask?.tokens, options.taskLimit?.tokens),
      ...definedMin('costUsd', this.budget.perTask?.costUsd, options.taskLimit?.costUsd),
    };
    this.modelRef = options.modelRef;
    this.price = this.budget.prices?.[options.modelRef];
    this.store = options.store;
    this.now = options.now;
  }

  /** A cost limit without a price for the model could never be enforced: refuse to start. */
  configurationError(): string | undefined {
    const costLimited = this.perTask.costUsd !== undefined || this.budget.perDay?.costUsd !== undefined;
    if (costLimited && !this.price) {
      return `budget: a cost limit is set but budget.prices has no price for "${this.modelRef}" in config/config.json`;
    }
    return undefined;
  }

  /** Continues a task's count where a previous process left it (a resumed task). */
  restore(usage: UsageTotals): void {
    this.task = { ...ZERO_USAGE, ...usage };
  }

  get taskUsage(): UsageTotals {
    return { ...this.task };
  }

  /** Adds one step's usage to the task and to today's total. */
  record(usage: LanguageModelUsage): UsageTotals {
    const inputTokens = usage.inputTokens ?? 0;
    const outputTokens = usage.outputTokens ?? 0;
    const delta: UsageTotals = {
      inputTokens,
      outputTokens,
      totalTokens: usage.totalTokens ?? inputTokens + outputTokens,
      costUsd: this.cost(inputTokens, outputTokens),
    };
    this.task = addUsage(this.task, delta);
    this.lastInputTokens = inputTokens;
    if (delta.totalTokens > 0 || delta.costUsd > 0) this.store.add(utcDay(this.now()), delta);
    return this.taskUsage;
  }

  /**
   * A delegated child's usage counts against this task (docs/delegation.md): added to the task's
   * total, not to today's, which the child's own viber counted.
   */
  addChildUsage(usage: TokenUsage): UsageTotals {
    this.task = addUsage(this.task, {
      inputTokens: usage.inputTokens,
      outputTokens: usage.outputTokens,
      totalTokens: usage.totalTokens,
      costUsd: usage.costUsd ?? 0,
    });
    return this.taskUsage;
  }

  /** What is left of the per-task limits (a child may spend no more); undefined without one. */
  remaining(): TaskBudget | undefined {
    const { tokens, costUsd } = this.perTask;
    if (tokens === undefined && costUsd === undefined) return undefined;
    return {
      ...(tokens !== undefined ? { tokens: Math.max(0, tokens - this.task.totalTokens) } : {}),
      ...(costUsd !== undefined ? { costUsd: Math.max(0, costUsd - this.task.costUsd) } : {}),
    };
  }

  /** `budget exceeded: <limit> (<used>/<limit>)` when no further model call may start, else undefined. */
  check(): string | undefined {
    const perDay = this.budget.perDay;
    // Today's usage is a file read: only for a per-day limit.
    const day =
      perDay?.tokens !== undefined || perDay?.costUsd !== undefined
        ? this.store.read(utcDay(this.now()))
        : ZERO_USAGE;
    const nextTokens = this.lastInputTokens;
    const nextCost = this.cost(this.lastInputTokens, 0);
    const checks: LimitCheck[] = [
      {
        name: 'per-task tokens',
        used: this.task.totalTokens,
        limit: this.perTask.tokens,
        next: nextTokens,
        unit: 'tokens',
      },
      {
        name: 'per-task cost in USD',
        used: this.task.costUsd,
        limit: this.perTask.costUsd,
        next: nextCost,
        unit: 'usd',
      },
      {
        name: 'per-day tokens',
        used: day.totalTokens,
        limit: this.budget.perDay?.tokens,
        next: nextTokens,
        unit: 'tokens',
      },
      {
        name: 'per-day cost in USD',
        used: day.costUsd,
        limit: this.budget.perDay?.costUsd,
        next: nextCost,
        unit: 'usd',
      },
    ];
    for (const check of checks) {
      if (check.limit === undefined) continue;
      const figures = `${check.name} (${format(check.used, check.unit)}/${format(check.limit, check.unit)})`;
      if (check.used >= check.limit) return `budget exceeded: ${figures}`;
      if (check.next > 0 && check.used + check.next > check.limit) {
        return `budget exceeded: ${figures}; the next model call would need at least ${format(check.next, check.unit)} more`;
      }
    }
    return undefined;
  }

  private cost(inputTokens: number, outputTokens: number): number {
    if (!this.price) return 0;
    return (
      (inputTokens * this.price.inputPerMillion + outputTokens * this.price.outputPerMillion) / 1_000_000
    );
  }
}

function format(value: number, unit: LimitCheck['unit']): string {
  return unit === 'tokens' ? String(Math.round(value)) : String(Number(value.toFixed(6)));
}

function definedMin<K extends string>(
  key: K,
  a: number | undefined,
  b: number | undefined,
): Partial<Record<K, number>> {
  if (a === undefined && b === undefined) return {};
  const value = a === undefined ? b! : b === undefined ? a : Math.min(a, b);
  return { [key]: value } as Partial<Record<K, number>>;
}
