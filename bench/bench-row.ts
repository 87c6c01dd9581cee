/**
 * One line of `npm run bench`'s table: a figure measured on OpenViber beside its bare baseline
 * from the same run (when the figure has one) and the goal it is held to. Goals are printed, never
 * asserted: figures move from run to run on a shared machine; the ratios are what count.
 */
export interface BenchRow {
  /** What was measured, as the table's first column says it. */
  figure: string;
  /** The unit of `bare` and `openviber`: 'events/s', 'ms', 'µs', 'KB', 'MB', 'MB/s'. */
  unit: string;
  /** The same figure for the bare baseline of this row, measured in the same run; null when none. */
  bare: number | null;
  openviber: number;
  /** The goal, in words: '>= 1.2x bare', '< 10 ms'. */
  goal: string;
  /** Anything the figure needs to be read right (sample counts, a second number). */
  note?: string;
}
