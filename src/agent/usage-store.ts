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

/** Writes of one usage file are at least this far apart; adds in between wait for the next one. */
const WRITE_INTERVAL_MS = 100;

/** Usage added in this process and not yet written, per file and day. */
const unwritten = new Map<string, Map<string, UsageTotals>>();
const lastWrite = new Map<string, number>();
let flushTimer: NodeJS.Timeout | undefined;
let exitHook = false;

/**
 * Per-day usage of every task on this viber, in one small JSON file (`workspace/usage.json`,
 * `{ "days": { "2025-01-31": UsageTotals } }`). Every add is counted at once in this process
 * (`read` includes it) and written with the adds that follow it within 100 ms, in one
 * read-add-write with an atomic rename: concurrent tasks of one process never lose an update,
 * another process (`viber status`, `viber run`) sees it at most that much later, and many tasks
 * ending their steps together cost one write, not one each. What is not yet written is written
 * when the process exits.
 */
export class DailyUsageStore {
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  read(day: string): UsageTotals {
    const written = loadDays(this.path)[day] ?? ZERO_USAGE;
    const pending = unwritten.get(this.path)?.get(day);
    return pending ? addUsage(written, pending) : { ...written };
  }

  add(day: string, delta: UsageTotals): void {
    let days = unwritten.get(this.path);
    if (!days) {
      days = new Map();
      unwritten.set(this.path, days);
    }
    days.set(day, addUsage(days.get(day) ?? ZERO_USAGE, delta));
    scheduleWrite(this.path);
  }
}

/** Writes every add not yet written, now (tests, and the process's exit). */
export function flushDailyUsage(): void {
  clearTimeout(flushTimer);
  flushTimer = undefined;
  for (const path of [...unwritten.keys()]) writeUnwritten(path);
}

function scheduleWrite(path: string): void {
  if (!exitHook) {
    exitHook = true;
    process.once('exit', flushDailyUsage);
  }
  if (flushTimer) return;
  const wait = Math.max(0, (lastWrite.get(path) ?? 0) + WRITE_INTERVAL_MS - Date.now());
  flushTimer = setTimeout(flushDailyUsage, wait);
  flushTimer.unref();
}

/** Adds what this process has not yet written to the file. On failure it stays for the next write. */
function writeUnwritten(path: string): void {
  const pending = unwritten.get(path);
  if (!pending) return;
  lastWrite.set(path, Date.now());
  const days = loadDays(path);
  for (const [day, delta] of pending) days[day] = addUsage(days[day] ?? ZERO_USAGE, delta);
  const kept = Object.keys(days).sort().slice(-KEPT_DAYS);
  const file = { days: Object.fromEntries(kept.map((key) => [key, days[key]])) };
  try {
    // The workspace folder, not the home above it: a home removed meanwhile is not made again.
    if (!existsSync(dirname(path))) mkdirSync(dirname(path), { mode: 0o700 });
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(file, null, 2)}\n`);
    renameSync(temporary, path);
    unwritten.delete(path);
  } catch {
    // A full disk or a removed home: still counted in this process, written with the next add.
  }
}

/** A missing or unreadable file counts as no usage (the next write repairs it). */
function loadDays(path: string): Record<string, UsageTotals> {
  if (!existsSync(path)) return {};
  try {
    const data = JSON.parse(readFileSync(path, 'utf8')) as { days?: Record<string, UsageTotals> };
    const days = data.days && typeof data.days === 'object' ? data.days : {};
    return Object.fromEntries(Object.entries(days).filter(([, value]) => isTotals(value)));
  } catch {
    return {};
  }
}

function isTotals(value: unknown): value is UsageTotals {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return ['inputTokens', 'outputTokens', 'totalTokens', 'costUsd'].every(
    (key) => typeof record[key] === 'number',
  );
}
