import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // The chaos suite runs on its own: `npm run test:chaos` (vitest.chaos.config.ts).
    exclude: [...configDefaults.exclude, 'test/chaos/**'],
    // Multi-process tests start real gateways, daemons and many short CLI processes; on a 2-core
    // machine loaded several times over (measured: load average 9-18) one can take over a minute.
    // A timeout is a guard against a hang, never a speed assertion.
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
