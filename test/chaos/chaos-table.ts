import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/processes.ts';

/**
 * The chaos suite's figures: each scenario appends one row per run (a JSON line) to
 * test-output/chaos/figures.jsonl, and the global teardown prints them as one table (and writes it
 * to test-output/chaos/table.md, the text docs/reliability.md quotes).
 */

export const CHAOS_DIR = join(REPO_ROOT, 'test-output/chaos');
const FIGURES_FILE = join(CHAOS_DIR, 'figures.jsonl');
export const TABLE_FILE = join(CHAOS_DIR, 'table.md');

/** True for the full run (CHAOS_FULL=1), false for the short one CI runs. */
export const CHAOS_FULL = process.env.CHAOS_FULL === '1';

/**
 * A scenario's size: `CHAOS_<NAME>` when set (a number), else the full or the short count.
 * E.g. CHAOS_GATEWAY_KILLS=10 runs ten gateway kills whatever the mode.
 */
export function chaosSize(name: string, short: number, full: number): number {
  const override = Number(process.env[`CHAOS_${name}`]);
  if (Number.isFinite(override) && override > 0) return override;
  return CHAOS_FULL ? full : short;
}

export type Figure = string | number | boolean | undefined;

export interface FigureRow {
  scenario: string;
  /** `ok`, `FAIL` or `skipped: <why>`. */
  result: string;
  figures: Record<string, Figure>;
}

/** Appends a scenario's row; call it whether the scenario passed or not (in a finally). */
export function recordFigures(scenario: string, result: string, figures: Record<string, Figure>): void {
  mkdirSync(CHAOS_DIR, { recursive: true });
  appendFileSync(FIGURES_FILE, `${JSON.stringify({ scenario, result, figures } satisfies FigureRow)}\n`);
}

export function resetFigures(): void {
  mkdirSync(CHAOS_DIR, { recursive: true });
  rmSync(FIGURES_FILE, { force: true });
}

export function readFigures(): FigureRow[] {
  let text: string;
  try {
    text = readFileSync(FIGURES_FILE, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as FigureRow);
}

function formatFigure(value: Figure): string {
  if (value === undefined) return '';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(1);
  return String(value);
}

/** The rows as a Markdown table: scenario, result, then each row's figures as `name=value`. */
export function formatTable(rows: FigureRow[]): string {
  const header = `Chaos run (${CHAOS_FULL ? 'FULL' : 'short'}), ${new Date().toISOString()}`;
  const lines = [header, '', '| scenario | result | figures |', '| --- | --- | --- |'];
  for (const row of rows) {
    const figures = Object.entries(row.figures)
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => `${name}=${formatFigure(value)}`)
      .join(', ');
    lines.push(`| ${row.scenario} | ${row.result} | ${figures} |`);
  }
  return `${lines.join('\n')}\n`;
}

export function writeTable(rows: FigureRow[]): string {
  const table = formatTable(rows);
  mkdirSync(CHAOS_DIR, { recursive: true });
  writeFileSync(TABLE_FILE, table);
  return table;
}

/** Process-level figures from /proc: resident memory (KiB) and open descriptors of `pid`. */
export function processFigures(pid: number): { rssKiB: number; fds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKiB = Number(status.match(/^VmRSS:\s+(\d+)\s+kB/m)?.[1] ?? Number.NaN);
  const fds = readdirSync(`/proc/${pid}/fd`).length;
  return { rssKiB, fds };
}
