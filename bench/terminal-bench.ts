import { measureTerminalRows } from './terminal-measure.ts';

/** `npx node bench/terminal-bench.ts`: only the terminal rows of `npm run bench`, as JSON. */
const rows = await measureTerminalRows({
  ...(process.env.OPENVIBER_BENCH_CAT_BYTES
    ? { catBytes: Number(process.env.OPENVIBER_BENCH_CAT_BYTES) }
    : {}),
  ...(process.env.OPENVIBER_BENCH_KEYSTROKES
    ? { keystrokes: Number(process.env.OPENVIBER_BENCH_KEYSTROKES) }
    : {}),
  ...(process.env.OPENVIBER_BENCH_ROUNDS ? { rounds: Number(process.env.OPENVIBER_BENCH_ROUNDS) } : {}),
});
process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
