import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempHome } from '../../test/support/in-process/temp-home.ts';
import { prepareTaskPaths } from './task-workspace.ts';

const temp = useTempHome('agent');

describe('task paths', () => {
  it('works in workspace/<taskId> by default and creates it', () => {
    const paths = prepareTaskPaths(temp.home, 'task_a', undefined);
    expect(paths.cwd).toBe(join(temp.home.workspace, 'task_a'));
    expect(existsSync(paths.cwd)).toBe(true);
    expect(paths.allowedRoots).toEqual([paths.cwd, temp.home.workspace]);
    expect(paths.reportPath).toBe(join(temp.home.workspace, 'task_a', 'report.json'));
  });

  it('uses the requested working directory as a root', () => {
    const cwd = join(temp.home.root, 'repo');
    const paths = prepareTaskPaths(temp.home, 'task_b', cwd);
    expect(paths.allowedRoots).toEqual([cwd, temp.home.workspace]);
    expect(paths.planPath).toBe(join(temp.home.workspace, 'task_b', 'plan.json'));
  });

  it('says which folder cannot be created', () => {
    const file = join(temp.home.root, 'a-file');
    writeFileSync(file, 'x');
    expect(() => prepareTaskPaths(temp.home, 'task_c', join(file, 'sub'))).toThrow(
      /cannot create .*a-file\/sub/,
    );
  });
});
