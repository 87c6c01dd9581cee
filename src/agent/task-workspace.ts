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
  for (const dir of [taskDir, cwd, home.memory]) {
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

/** Variables a task's processes never inherit: the viber's own credentials. */
const PRIVATE_VARIABLES = /^(OPENAI_API_KEY|ANTHROPIC_API_KEY|OPENVIBER_API_KEY|OPENVIBER_.*TOKEN.*)$/;

/**
 * The environment of the processes tools start: the daemon's, minus the model keys and viber
 * tokens, so a command like `env` cannot leak them into the stream.
 */
export function toolEnvironment(
  env: NodeJS.ProcessEnv,
  secrets: Array<string | undefined>,
): NodeJS.ProcessEnv {
  const hidden = new Set(secrets.filter((secret): secret is string => Boolean(secret)));
  const result: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(env)) {
    if (PRIVATE_VARIABLES.test(key) || (value !== undefined && hidden.has(value))) continue;
    result[key] = value;
  }
  return result;
}
