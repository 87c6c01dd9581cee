import { readFigures, resetFigures, TABLE_FILE, writeTable } from './chaos-table.ts';

/** Starts the chaos run with no figures, and prints the table of every scenario's figures at its end. */
export default function setup(): () => void {
  resetFigures();
  return () => {
    const table = writeTable(readFigures());
    process.stdout.write(`\n${table}\n(written to ${TABLE_FILE})\n`);
  };
}
