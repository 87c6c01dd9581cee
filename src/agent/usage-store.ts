import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { OpenViberHome } from '../core/home.ts';

export interface UsageTotals {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  costUsd: number;
}

export const ZERO_USAGE: UsageTotals = Object.freeze({
  inputTokens: 0,
  outputTokens: 0,
  totalTokens: 0,
  costUsd: 0,
});

/** Days kept in the file; older ones are dropped on write. */
const KEPT_DAYS = 90;

export function dailyUsagePath(home: OpenViberHome): string {
  return join(home.workspace, 'usage.json');
}

/** The UTC calendar day (YYYY-MM-DD): one definition of "per day" for every viber, wherever it runs. */
export function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function addUsage(a: UsageTotals, b: UsageTotals): UsageTotals {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    totalTokens: a.totalTokens + b.totalTokens,
    costUsd: a.costUsd + b.costUsd,
  };
}

/**
 * Per-day usage of every task on this viber, in one small JSON file (`workspace/usage.json`,
 * `{ "days": { "2025-01-31": UsageTotals } }`). Each update is a synchronous read-add-write with
 * an atomic rename, so concurrent tasks of one process never lose an update.
 */
export class DailyUsageStore {
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  read(day: string): UsageTotals {
    return this.load()[day] ?? { ...ZERO_USAGE };
  }

  add(day: string, delta: UsageTotals): UsageTotals {
    const days = this.load();
    const total = addUsage(days[day] ?? ZERO_USAGE, delta);
    days[day] = total;
    const kept = Object.keys(days).sort().slice(-KEPT_DAYS);
    const file = { days: Object.fromEntries(kept.map((key) => [key, days[key]])) };
    mkdirSync(dirname(this.path), { recursive: true });
    const temporary = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(file, null, 2)}\n`);
    renameSync(temporary, this.path);
    return total;
  }

  /** A missing or unreadable file counts as no usage (the next write repairs it). */
  private load(): Record<string, UsageTotals> {
    if (!existsSync(this.path)) return {};
    try {
      const data = JSON.parse(readFileSync(this.path, 'utf8')) as { days?: Record<string, UsageTotals> };
      const days = data.days && typeof data.days === 'object' ? data.days : {};
      return Object.fromEntries(Object.entries(days).filter(([, value]) => isTotals(value)));
    } catch {
      return {};
    }
  }
}

function isTotals(value: unknown): value is UsageTotals {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return ['inputTokens', 'outputTokens', 'totalTokens', 'costUsd'].every(
    (key) => typeof record[key] === 'number',
  );
}
