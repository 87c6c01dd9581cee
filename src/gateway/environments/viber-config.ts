import { createHash } from 'node:crypto';
import type { EnvironmentSpec, ViberConfigPull } from '../../protocol/index.ts';
import type { EnvironmentsStore, FullEnvironment } from '../store/index.ts';
import { openSecrets } from './environment-secrets.ts';
import type { SecretBox } from './secret-box.ts';

/**
 * GET /api/vibers/:id/config (environments document, 6.2): every environment in summary, and this
 * viber's bindings with their full specification. Secret values appear here only, decrypted for
 * the viber the binding belongs to, and only in the response (never logged, never stored).
 */
export async function buildViberConfig(
  store: EnvironmentsStore,
  box: SecretBox,
  viberId: string,
): Promise<ViberConfigPull> {
  const [environments, bindings] = await Promise.all([
    store.listEnvironments(),
    store.listBindingsOfViber(viberId),
  ]);
  const byId = new Map(environments.map((full) => [full.environment.id, full]));
  const bound = bindings.flatMap((binding) => {
    const full = byId.get(binding.environmentId);
    if (!full) return [];
    return [
      {
        id: binding.id,
        environmentId: binding.environmentId,
        strategy: binding.strategy,
        path: binding.path,
        status: binding.status,
        generation: binding.generation,
        resolvedWorkingDir: binding.resolvedWorkingDir,
        environment: specOf(full, box),
      },
    ];
  });
  const fingerprint = JSON.stringify([
    environments.map((full) => [full.environment.id, full.environment.version]),
    bindings.map((binding) => [binding.id, binding.generation, binding.status]),
  ]);
  return {
    viberId,
    version: createHash('sha256').update(fingerprint).digest('hex').slice(0, 16),
    generatedAt: new Date().toISOString(),
    environments: environments.map(({ environment }) => ({
      id: environment.id,
      name: environment.name,
      type: environment.type,
      version: environment.version,
    })),
    bindings: bound,
  };
}

function specOf(full: FullEnvironment, box: SecretBox): EnvironmentSpec {
  const { environment } = full;
  const secrets = openSecrets(full, box);
  const optional = (key: keyof EnvironmentSpec, value: string | null) => (value ? { [key]: value } : {});
  return {
    id: environment.id,
    name: environment.name,
    type: environment.type,
    version: environment.version,
    ...optional('repoUrl', environment.repoUrl),
    ...optional('repoBranch', environment.repoBranch),
    ...optional('localPath', environment.localPath),
    ...optional('workingDir', environment.workingDir),
    ...optional('setupScript', environment.setupScript),
    ...optional('containerImage', environment.containerImage),
    setupTimeoutSeconds: environment.setupTimeoutSeconds,
    networkAccess: environment.networkAccess,
    persistVolume: environment.persistVolume,
    variables: Object.fromEntries(full.variables.map((variable) => [variable.key, variable.value])),
    secrets: secrets.values,
    unreadableSecrets: secrets.unreadable,
    ...(environment.mcpServers.length > 0 ? { mcpServers: environment.mcpServers } : {}),
  };
}
