import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { useTempHome } from '../../test/support/in-process/temp-home.ts';
import { DailyUsageStore, dailyUsagePath, flushDailyUsage } from './usage-store.ts';

const temp = useTempHome('usage');
const usage = (totalTokens: number) => ({
  inputTokens: totalTokens,
  outputTokens: 0,
  totalTokens,
  costUsd: 0,
});

describe('DailyUsageStore', () => {
  it('counts every add at once and writes the adds of many tasks in one write', () => {
    const path = dailyUsagePath(temp.home);
    // Each task has its own store on the same file, as every task of a daemon does.
    for (let task = 0; task < 50; task += 1) new DailyUsageStore(path).add('2025-03-04', usage(10));
    expect(new DailyUsageStore(path).read('2025-03-04').totalTokens).toBe(500);
    expect(existsSync(path)).toBe(false);
    flushDailyUsage();
    expect(JSON.parse(readFileSync(path, 'utf8')).days['2025-03-04'].totalTokens).toBe(500);
    // Read back from the file alone, nothing counted twice.
    expect(new DailyUsageStore(path).read('2025-03-04').totalTokens).toBe(500);
  });

  it('adds to what another process wrote, and writes what it has not yet written when it exits', () => {
    const path = dailyUsagePath(temp.home);
    const add = (tokens: number) =>
      spawnSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `import { DailyUsageStore } from ${JSON.stringify(new URL('./usage-store.ts', import.meta.url).href)};
           new DailyUsageStore(${JSON.stringify(path)}).add('2025-03-04', { inputTokens: ${tokens}, outputTokens: 0, totalTokens: ${tokens}, costUsd: 0 });
           process.exit(0);`,
        ],
        { encoding: 'utf8' },
      );
    expect(add(7).status).toBe(0);
    expect(add(5).status).toBe(0);
    new DailyUsageStore(path).add('2025-03-04', usage(3));
    expect(new DailyUsageStore(path).read('2025-03-04').totalTokens).toBe(15);
    flushDailyUsage();
    expect(JSON.parse(readFileSync(path, 'utf8')).days['2025-03-04'].totalTokens).toBe(15);
  });
});
