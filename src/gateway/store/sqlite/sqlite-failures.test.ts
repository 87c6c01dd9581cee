import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDir } from '../../../../test/support/temp-dirs.ts';
import { aCommand, addViber, aTask } from '../contract/contract-harness.ts';
import { openSqliteStore } from './sqlite-store.ts';

describe('the embedded store', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) removeTempDir(dir);
  });

  it('tells `onFailure` of each transaction that failed and was rolled back (openviber_store_errors_total)', async () => {
    dir = makeTempDir('store-failures');
    const failures: unknown[] = [];
    const store = openSqliteStore(
      join(dir, 'test.db'),
      () => {},
      (error) => failures.push(error),
    );
    await addViber(store, 'viber_a');
    const task = aTask('task_1', 'viber_a');
    await store.insertTask(task, aCommand('viber_a', task.id, 'task:submit', { goal: 'g' }));
    expect(failures).toEqual([]);
    // The same id again: the insert fails, the transaction rolls back, and it is counted once.
    await expect(
      store.insertTask(task, aCommand('viber_a', task.id, 'task:submit', { goal: 'g' })),
    ).rejects.toThrow();
    expect(failures).toHaveLength(1);
    expect(await store.countTasks()).toBe(1);
    expect(await store.countCommands()).toBe(1);
    await store.close();
  });
});
