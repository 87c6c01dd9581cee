import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import type { EnvironmentSpec, ViberBindingConfig } from '../../protocol/index.ts';
import { type OutputStream, runStreaming } from './process-runner.ts';

/** Git that never waits for a password or a host-key prompt: an unreachable remote fails fast. */
export const NON_INTERACTIVE_GIT_ENV = {
  GIT_TERMINAL_PROMPT: '0',
  GIT_SSH_COMMAND: 'ssh -o BatchMode=yes -o ConnectTimeout=15',
  GIT_ASKPASS: 'true',
};
const GIT_TIMEOUT_MS = 10 * 60_000;

export interface MaterializeInput {
  binding: Pick<ViberBindingConfig, 'id' | 'strategy' | 'path'>;
  spec: EnvironmentSpec;
  /** Where clones live: `<workspace>/environments/<environmentId>`. */
  environmentsDir: string;
  env: NodeJS.ProcessEnv;
  log(stream: OutputStream | 'system', line: string): void;
  signal: AbortSignal;
}

export interface Materialized {
  /** The checkout (or the existing path): mounted whole in a container, copied whole per task. */
  root: string;
  /** Where setup and tasks run: `root` + the environment's working directory. */
  workingDir: string;
}

/** A step that failed, with a message fit for the operator (redacted by the caller). */
export class PrepareError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PrepareError';
  }
}

/**
 * Makes the code present on this machine: clone (into a temporary folder renamed at the end, so a
 * failed clone leaves nothing half-written) or fast-forward an existing checkout; or check an
 * existing path; or create an empty folder for a manual environment.
 */
export async function materialize(input: MaterializeInput): Promise<Materialized> {
  const { spec, binding } = input;
  let root: string;
  if (binding.strategy === 'existing') {
    root = resolve(binding.path ?? spec.localPath ?? '');
    if (!binding.path && !spec.localPath) throw new PrepareError('no path to use: the binding has no path');
    if (!isDirectory(root))
      throw new PrepareError(`path ${root} does not exist on this viber (or is not a directory)`);
    input.log('system', `using the existing directory ${root}`);
  } else {
    root = join(input.environmentsDir, spec.id);
    if (spec.repoUrl) await cloneOrPull(root, spec.repoUrl, spec.repoBranch, input);
    else {
      await mkdir(root, { recursive: true });
      input.log('system', `created ${root} (no repository)`);
    }
  }
  const workingDir = resolve(root, spec.workingDir ?? '.');
  if (relative(root, workingDir).startsWith('..'))
    throw new PrepareError(`workingDir ${spec.workingDir} leaves ${root}`);
  if (!isDirectory(workingDir)) {
    throw new PrepareError(`working directory ${spec.workingDir} does not exist in ${root}`);
  }
  return { root, workingDir };
}

async function cloneOrPull(
  root: string,
  repoUrl: string,
  branch: string | undefined,
  input: MaterializeInput,
): Promise<void> {
  if (existsSync(join(root, '.git'))) {
    input.log('system', `updating the checkout in ${root}`);
    await git(input, root, ['remote', 'set-url', 'origin', '--', repoUrl], 'cannot set the remote');
    await git(input, root, ['fetch', '--prune', 'origin'], `cannot fetch ${repoUrl}`);
    const target = branch ?? (await defaultBranch(input, root));
    await git(input, root, ['checkout', target, '--'], `cannot check out branch ${target}`);
    await git(
      input,
      root,
      ['merge', '--ff-only', `origin/${target}`],
      `cannot fast-forward ${target} (local changes or diverged history in ${root})`,
    );
    return;
  }
  if (existsSync(root) && readdirSync(root).length > 0) {
    throw new PrepareError(
      `${root} exists and is not a git checkout; remove it or use the existing strategy`,
    );
  }
  const partial = `${root}.partial-${randomBytes(4).toString('hex')}`;
  await mkdir(dirname(root), { recursive: true });
  input.log('system', `cloning ${repoUrl}${branch ? ` (branch ${branch})` : ''}`);
  try {
    const args = [
      'clone',
      '--no-recurse-submodules',
      ...(branch ? ['--branch', branch] : []),
      '--',
      repoUrl,
      partial,
    ];
    await git(input, dirname(root), args, `cannot clone ${repoUrl}`);
    await rm(root, { recursive: true, force: true });
    await rename(partial, root);
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
}

async function defaultBranch(input: MaterializeInput, root: string): Promise<string> {
  const lines: string[] = [];
  await runStreaming({
    program: 'git',
    args: ['rev-parse', '--abbrev-ref', 'origin/HEAD'],
    cwd: root,
    env: { ...input.env, ...NON_INTERACTIVE_GIT_ENV },
    timeoutMs: 30_000,
    onLine: (stream, line) => stream === 'stdout' && lines.push(line),
    signal: input.signal,
  });
  return lines[0]?.replace(/^origin\//, '').trim() || 'main';
}

/** Runs git; its output joins the log; a failure carries git's last lines. */
async function git(input: MaterializeInput, cwd: string, args: string[], failure: string): Promise<void> {
  const tail: string[] = [];
  const outcome = await runStreaming({
    program: 'git',
    args,
    cwd,
    env: { ...input.env, ...NON_INTERACTIVE_GIT_ENV },
    timeoutMs: GIT_TIMEOUT_MS,
    signal: input.signal,
    onLine: (stream, line) => {
      input.log(stream, line);
      tail.push(line);
      if (tail.length > 5) tail.shift();
    },
  });
  if (outcome.spawnError) throw new PrepareError(`git is not installed on this viber: ${outcome.spawnError}`);
  if (outcome.aborted) throw new PrepareError(`${failure}: preparation was cancelled`);
  if (outcome.timedOut)
    throw new PrepareError(`${failure}: git did not finish within ${GIT_TIMEOUT_MS / 60_000} minutes`);
  if (outcome.code !== 0)
    throw new PrepareError(`${failure}: ${tail.join(' ').trim() || `git exited with ${outcome.code}`}`);
}

export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
