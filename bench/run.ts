import { cpus, totalmem } from 'node:os';
import { stopAllProcesses } from '../test/support/processes.ts';
import { removeTempDirs } from '../test/support/temp-dirs.ts';
import type { BenchRow } from './bench-row.ts';
import { benchTable } from './bench-table.ts';
import { measureBoardWeight } from './board-weight.ts';
import { measureConcurrentTasks } from './concurrent-tasks.ts';
import { measurePortRows } from './ports-measure.ts';
import { FULL_SIZES, measureRelayRows, SHORT_SIZES } from './relay-rows.ts';
import { measureScaleOut, SCALE_FULL, SCALE_SHORT, scaleTable } from './scale-out.ts';
import { measureTerminalRows } from './terminal-measure.ts';
import { measureViberList } from './viber-list-measure.ts';

/**
 * `npm run bench`: every figure of docs/performance.md beside its bare baseline from the same run,
 * as a table and as JSON (`--json` prints only the JSON). `--short` (CI) runs each phase small, to
 * prove the bench works; its figures mean little. Loopback only; every phase is bounded.
 */

const short = process.argv.includes('--short') || process.env.OPENVIBER_BENCH_SHORT === '1';
const jsonOnly = process.argv.includes('--json');
/** `npm run bench -- scale`: only the scale-out figures (bench/scale-out.ts), three gateways beside one. */
const scaleOnly = process.argv.slice(2).includes('scale');
const OVERALL_LIMIT_MS = 20 * 60_000;

const progress = (step: string) => process.stderr.write(`bench: ${step}\n`);

async function main(): Promise<void> {
  const limit = setTimeout(() => {
    progress(`gave up after ${OVERALL_LIMIT_MS} ms`);
    void stopAllProcesses().finally(() => process.exit(1));
  }, OVERALL_LIMIT_MS);
  try {
    if (scaleOnly) return await scale();
    const rows: BenchRow[] = [];
    rows.push(...(await measureRelayRows(short ? SHORT_SIZES : FULL_SIZES, progress)));
    progress(`viber list: ${short ? 200 : 10_000} registered`);
    rows.push(...(await measureViberList(short ? 200 : 10_000)));
    progress('terminal: cat at the viewer and keystroke echo');
    rows.push(
      ...(await measureTerminalRows(
        short ? { catBytes: 1024 * 1024, keystrokes: 30, rounds: 1 } : { catBytes: 16 * 1024 * 1024 },
      )),
    );
    progress('ports: an opened link against the service itself');
    rows.push(
      ...(await measurePortRows(
        short
          ? { answerBytes: 4 * 1024 * 1024, requests: 20, rounds: 1 }
          : { answerBytes: 64 * 1024 * 1024, requests: 300, rounds: 3 },
      )),
    );
    progress('board: the task page in Chromium');
    rows.push(...(await measureBoardWeight()));
    progress(`daemon: ${short ? 10 : 200} concurrent tasks`);
    rows.push(...(await measureConcurrentTasks({ tasks: short ? 10 : 200 })));
    const report = {
      short,
      rows,
      machine: {
        node: process.version,
        platform: `${process.platform} ${process.arch}`,
        cpus: `${cpus().length} x ${cpus()[0]?.model ?? 'unknown'}`,
        memoryGiB: Math.round(totalmem() / 2 ** 30),
        transport: 'loopback 127.0.0.1',
      },
      at: new Date().toISOString(),
    };
    if (!jsonOnly) process.stdout.write(`${benchTable(rows)}\n\n`);
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    clearTimeout(limit);
    await stopAllProcesses();
    removeTempDirs();
  }
}

async function scale(): Promise<void> {
  const sizes = short ? SCALE_SHORT : SCALE_FULL;
  const { rows, figures } = await measureScaleOut(sizes, progress);
  if (!jsonOnly) process.stdout.write(`${scaleTable(rows)}\n\n`);
  const machine = {
    node: process.version,
    cpus: `${cpus().length} x ${cpus()[0]?.model ?? 'unknown'}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
  };
  const report = { scale: true, short, sizes, rows, figures, machine, at: new Date().toISOString() };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

await main();
