import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { OpenViberHome } from '../core/home.ts';

export interface TaskPaths {
  /** Working directory of the task's tools. */
  cwd: string;
  /** workspace/<taskId>: plan, report and artifacts of the task. */
  taskDir: string;
  artifactsDir: string;
  planPath: string;
  reportPath: string;
  allowedRoots: string[];
}

/** The task's folders, created on demand. Throws with the path when one cannot be created. */
export function prepareTaskPaths(
  home: OpenViberHome,
  taskId: string,
  cwdOption: string | undefined,
): TaskPaths {
  const taskDir = join(home.workspace, taskId);
  const cwd = cwdOption ? resolve(cwdOption) : taskDir;
  // The memory folder is made by the remember tool, the one writer there.
  for (const dir of new Set([taskDir, cwd])) {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (error) {
      throw new Error(`cannot create ${dir}: ${(error as Error).message}`);
    }
  }
  return {
    cwd,
    taskDir,
    artifactsDir: join(taskDir, 'artifacts'),
    planPath: join(taskDir, 'plan.json'),
    reportPath: join(taskDir, 'report.json'),
    allowedRoots: [...new Set([cwd, home.workspace])],
  };
}
