import { OpenViberError } from '../../core/errors.ts';
import { type EnvironmentCheck, mcpSecretReferences } from '../../protocol/index.ts';
import type { EnvironmentRecord } from '../store/index.ts';
import { runCheck } from './run-check.ts';

const SYNTAX_TIMEOUT_MS = 5_000;
const LS_REMOTE_TIMEOUT_MS = 20_000;

/** Git that never waits for a password or a host-key prompt: an unreachable remote fails fast. */
export const NON_INTERACTIVE_GIT_ENV = {
  GIT_TERMINAL_PROMPT: '0',
  GIT_SSH_COMMAND: 'ssh -o BatchMode=yes -o ConnectTimeout=10',
  GIT_ASKPASS: 'true',
};

type Fields = Pick<EnvironmentRecord, 'type' | 'repoUrl' | 'localPath' | 'mcpServers'>;

/** Rules across fields; each problem names its field. */
export function fieldProblems(env: Fields, variableKeys: string[], secretKeys: string[]): string[] {
  const problems: string[] = [];
  if (env.type === 'github' && !env.repoUrl)
    problems.push('repoUrl: required for a github (git) environment');
  if (env.type === 'local' && !env.localPath) problems.push('localPath: required for a local environment');
  if (env.type === 'manual' && env.repoUrl) problems.push('repoUrl: a manual environment has no repository');
  const secrets = new Set(secretKeys);
  for (const key of variableKeys) {
    if (secrets.has(key)) problems.push(`variables.${key}: also defined as a secret; use one or the other`);
  }
  env.mcpServers.forEach((server, index) => {
    for (const reference of mcpSecretReferences(server)) {
      if (!secrets.has(reference.name)) {
        problems.push(
          `mcpServers.${index}.${reference.path}: references secret ${reference.name}, which this environment does not have`,
        );
      }
    }
  });
  return problems;
}

export function assertFields(env: Fields, variableKeys: string[], secretKeys: string[]): void {
  const problems = fieldProblems(env, variableKeys, secretKeys);
  if (problems.length > 0) throw new OpenViberError('validation_failed', problems.join('; '), 400);
}

/** `bash -n`: the script parses. Skipped (not failed) when this machine has no bash. */
export async function checkScriptSyntax(script: string | null | undefined): Promise<EnvironmentCheck> {
  if (!script?.trim()) return { name: 'script_syntax', status: 'skipped', message: 'no setup script' };
  const outcome = await runCheck('bash', ['-n'], { input: script, timeoutMs: SYNTAX_TIMEOUT_MS });
  if (outcome.spawnError) {
    return {
      name: 'script_syntax',
      status: 'skipped',
      message: `bash is not available on the gateway: ${outcome.spawnError}`,
    };
  }
  if (outcome.timedOut)
    return { name: 'script_syntax', status: 'failed', message: 'bash -n did not finish in 5 s' };
  if (outcome.code !== 0) {
    const detail = outcome.output.trim().replaceAll('bash: line', 'line').slice(0, 1000);
    return { name: 'script_syntax', status: 'failed', message: `setupScript has a syntax error: ${detail}` };
  }
  return { name: 'script_syntax', status: 'ok', message: 'bash -n found no syntax error' };
}

export async function assertScriptSyntax(script: string | null | undefined): Promise<void> {
  const check = await checkScriptSyntax(script);
  if (check.status === 'failed') throw new OpenViberError('validation_failed', check.message, 400);
}

/** `git ls-remote` from the gateway: reachable here says much, but the viber checks again. */
export async function checkRepository(url: string | null, branch: string | null): Promise<EnvironmentCheck> {
  if (!url) return { name: 'repository', status: 'skipped', message: 'no repository' };
  const args = ['ls-remote', '--exit-code', '--', url, ...(branch ? [`refs/heads/${branch}`] : ['HEAD'])];
  const outcome = await runCheck('git', args, {
    timeoutMs: LS_REMOTE_TIMEOUT_MS,
    env: { ...process.env, ...NON_INTERACTIVE_GIT_ENV },
  });
  if (outcome.spawnError) {
    return {
      name: 'repository',
      status: 'skipped',
      message: `git is not available on the gateway: ${outcome.spawnError}`,
    };
  }
  if (outcome.timedOut) {
    return {
      name: 'repository',
      status: 'failed',
      message: `${url} did not answer within ${LS_REMOTE_TIMEOUT_MS / 1000} s`,
    };
  }
  if (outcome.code === 2) {
    const missing = branch ? `no branch ${branch}` : 'no commits (no HEAD)';
    return { name: 'repository', status: 'failed', message: `${url} is reachable but has ${missing}` };
  }
  if (outcome.code !== 0) {
    const detail = outcome.output.trim().split('\n').slice(-3).join(' ').slice(0, 800);
    return {
      name: 'repository',
      status: 'failed',
      message: `${url} is not reachable from the gateway: ${detail}`,
    };
  }
  return {
    name: 'repository',
    status: 'ok',
    message: `${url} is reachable from the gateway${branch ? ` (branch ${branch})` : ''}`,
  };
}
