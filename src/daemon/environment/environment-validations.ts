import { networkIsolationProblem, type SandboxCapabilities } from '../../agent/command-sandbox.ts';
import type { ConfigValidation, ViberConfigPull } from '../../protocol/index.ts';
import { NON_INTERACTIVE_GIT_ENV } from './materialize.ts';
import { runStreaming } from './process-runner.ts';

const LS_REMOTE_TIMEOUT_MS = 20_000;

/**
 * What `config:ack` says about this viber's environments: their secrets arrived (env_secrets),
 * their repositories answer (reported with the secrets: they are what the environment needs to
 * reach), and the machine can honour their network and container settings (binary_deps).
 */
export async function environmentValidations(
  config: ViberConfigPull,
  capabilities: SandboxCapabilities,
  env: NodeJS.ProcessEnv,
): Promise<ConfigValidation[]> {
  const checkedAt = new Date().toISOString();
  if (config.bindings.length === 0) {
    return [
      {
        category: 'env_secrets',
        status: 'verified',
        message: 'no environment is mapped to this viber',
        checkedAt,
      },
    ];
  }
  const problems: string[] = [];
  let secrets = 0;
  for (const { environment } of config.bindings) {
    secrets += Object.keys(environment.secrets).length;
    if (environment.unreadableSecrets.length > 0) {
      problems.push(
        `${environment.name}: secrets ${environment.unreadableSecrets.join(', ')} cannot be decrypted by the gateway`,
      );
    }
  }
  const remotes = config.bindings.filter(
    (binding) => binding.strategy === 'clone' && binding.environment.repoUrl,
  );
  const reachability = await Promise.all(
    remotes.map(async (binding) => ({
      name: binding.environment.name,
      error: await lsRemote(binding.environment.repoUrl!, env),
    })),
  );
  for (const { name, error } of reachability)
    if (error) problems.push(`${name}: repository not reachable: ${error}`);
  const sandbox: string[] = [];
  for (const { environment } of config.bindings) {
    const container = Boolean(environment.containerImage) && capabilities.containerRuntime.available;
    if (environment.containerImage && !capabilities.containerRuntime.available) {
      sandbox.push(
        `${environment.name}: container image ${environment.containerImage} cannot be honoured (${capabilities.containerRuntime.reason})`,
      );
    }
    const noIsolation = networkIsolationProblem(capabilities);
    if (!environment.networkAccess && !container && noIsolation) {
      sandbox.push(`${environment.name}: network access off cannot be enforced (${noIsolation})`);
    }
  }
  const validations: ConfigValidation[] = [
    problems.length > 0
      ? { category: 'env_secrets', status: 'failed', message: problems.join('; ').slice(0, 2000), checkedAt }
      : {
          category: 'env_secrets',
          status: 'verified',
          message: `${config.bindings.length} environments: ${secrets} secrets present, ${remotes.length} repositories reachable`,
          checkedAt,
        },
  ];
  if (sandbox.length > 0) {
    validations.push({
      category: 'binary_deps',
      status: 'failed',
      message: sandbox.join('; ').slice(0, 2000),
      checkedAt,
    });
  }
  return validations;
}

async function lsRemote(url: string, env: NodeJS.ProcessEnv): Promise<string | null> {
  const tail: string[] = [];
  const outcome = await runStreaming({
    program: 'git',
    args: ['ls-remote', '--exit-code', '--', url, 'HEAD'],
    cwd: '/',
    env: { ...env, ...NON_INTERACTIVE_GIT_ENV },
    timeoutMs: LS_REMOTE_TIMEOUT_MS,
    onLine: (_stream, line) => {
      tail.push(line);
      if (tail.length > 3) tail.shift();
    },
  });
  if (outcome.spawnError) return `git is not installed (${outcome.spawnError})`;
  if (outcome.timedOut) return `no answer within ${LS_REMOTE_TIMEOUT_MS / 1000} s`;
  return outcome.code === 0 ? null : tail.join(' ').slice(0, 300) || `git exited with ${outcome.code}`;
}
