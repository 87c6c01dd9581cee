import { measureTerminals } from './terminal-measure.ts';

/** `npx node bench/terminal-bench.ts`: only the terminal figures of `npm run bench`. */
const report = await measureTerminals({
  catBytes: Number(process.env.OPENVIBER_BENCH_CAT_BYTES ?? 32 * 1024 * 1024),
  keystrokes: Number(process.env.OPENVIBER_BENCH_KEYSTROKES ?? 300),
  timeoutMs: 120_000,
});
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
