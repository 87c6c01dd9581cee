import { defineConfig } from 'vitest/config';

// `npm run test:chaos`: the chaos suite (test/chaos, issue 12). Real processes killed, stopped,
// starved of disk and fed garbage; every scenario records its figures and one table is printed at
// the end (test/chaos/global-setup.ts). Short by default (CI); CHAOS_FULL=1 runs the full counts.
// One file at a time: the scenarios measure timings, memory and descriptors, and a neighbour
// loading the machine would blur them.
export default defineConfig({
  test: {
    include: ['test/chaos/**/*.chaos.test.ts'],
    globalSetup: ['test/chaos/global-setup.ts'],
    testTimeout: 30 * 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
    maxWorkers: 1,
  },
});
