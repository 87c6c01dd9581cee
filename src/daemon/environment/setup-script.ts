import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EnvironmentSpec } from '../../protocol/index.ts';
import { PrepareError } from './materialize.ts';
import { type OutputStream, runStreaming, signalGroup } from './process-runner.ts';

export interface SetupInput {
  spec: EnvironmentSpec;
  workingDir: string;
  /** Private folder for the script file (0700). */
  scratchDir: string;
  env: NodeJS.ProcessEnv;
  /** Prefix for running it inside a container; undefined runs it on the host. */
  wrapper: string[] | undefined;
  log(stream: OutputStream | 'system', line: string): void;
  signal: AbortSignal;
}

/**
 * Runs the setup script with bash in the working directory, variables and secrets in its
 * environment, under the environment's timeout. On timeout bash and everything it started are
 * killed. Scripts run on every prepare and sync, so they should be idempotent.
 */
export async function runSetupScript(input: SetupInput): Promise<void> {
  const { spec } = input;
  if (!spec.setupScript?.trim()) {
    input.log('system', 'no setup script');
    return;
  }
  mkdirSync(input.scratchDir, { recursive: true, mode: 0o700 });
  const pidPath = join(input.scratchDir, 'setup.pgid');
  killLeftover(pidPath, input.log);
  const scriptPath = join(input.scratchDir, 'setup.sh');
  writeFileSync(scriptPath, spec.setupScript, { mode: 0o700 });
  const [program, ...args] = input.wrapper
    ? [...input.wrapper, 'bash', '-c', spec.setupScript]
    : ['bash', '--noprofile', '--norc', scriptPath];
  input.log('system', `running the setup script (timeout ${spec.setupTimeoutSeconds} s)`);
  try {
    const outcome = await runStreaming({
      program: program!,
      args,
      cwd: input.workingDir,
      env: input.env,
      timeoutMs: spec.setupTimeoutSeconds * 1000,
      onLine: input.log,
      signal: input.signal,
      onSpawn: (pgid) => writeFileSync(pidPath, `${pgid}\n`, { mode: 0o600 }),
    });
    if (outcome.spawnError) throw new PrepareError(`cannot run the setup script: ${outcome.spawnError}`);
    if (outcome.aborted) throw new PrepareError('the setup script was cancelled');
    if (outcome.timedOut) {
      throw new PrepareError(
        `the setup script did not finish within ${spec.setupTimeoutSeconds} s; it and every process it started were killed`,
      );
    }
    if (outcome.code !== 0) {
      throw new PrepareError(
        `the setup script failed (${outcome.code === null ? `signal ${outcome.signal}` : `exit code ${outcome.code}`})`,
      );
    }
    input.log('system', 'setup script finished');
  } finally {
    rmSync(scriptPath, { force: true });
    rmSync(pidPath, { force: true });
  }
}

/** A setup a killed daemon left running (its process group outlived it) ends before a new one. */
function killLeftover(pidPath: string, log: SetupInput['log']): void {
  if (!existsSync(pidPath)) return;
  const pgid = Number(readFileSync(pidPath, 'utf8').trim());
  rmSync(pidPath, { force: true });
  if (!Number.isInteger(pgid) || pgid <= 1) return;
  log('system', `stopping the setup script a previous daemon left running (process group ${pgid})`);
  signalGroup(pgid, 'SIGKILL');
}
