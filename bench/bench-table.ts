import type { BenchRow } from './bench-row.ts';

/** The table `npm run bench` prints: each figure beside its bare baseline, the ratio and the goal. */
export function benchTable(rows: readonly BenchRow[]): string {
  const lines = [
    '| figure | bare | OpenViber | vs bare | goal |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map((row) => {
      const ratio = row.bare ? `${(row.openviber / row.bare).toFixed(2)}x` : '';
      const note = row.note ? ` (${row.note})` : '';
      return `| ${row.figure} | ${figure(row.bare, row.unit)} | ${figure(row.openviber, row.unit)}${note} | ${ratio} | ${row.goal} |`;
    }),
  ];
  return lines.join('\n');
}

function figure(value: number | null, unit: string): string {
  if (value === null) return '';
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return `${value.toLocaleString('en-US', { maximumFractionDigits: digits })} ${unit}`;
}
