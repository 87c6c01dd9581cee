import type { BindingLogLine, BindingView, EnvironmentPill, EnvironmentView } from '../../protocol/index.ts';
import type { BindingRecord, FullEnvironment, LogRecord } from '../store/index.ts';
import type { SecretBox } from './secret-box.ts';

/** Store records as the REST API shows them. A secret is only ever `{key, set, updatedAt}`. */

export function toBindingView(binding: BindingRecord): BindingView {
  return { ...binding };
}

export function toLogLine(record: LogRecord): BindingLogLine {
  return {
    seq: record.seq,
    generation: record.generation,
    stream: record.stream,
    line: record.line,
    at: record.at,
  };
}

/** The board's pill: ready when any binding is; preparing while one is on its way; else error. */
export function pillOf(bindings: BindingRecord[]): EnvironmentPill {
  if (bindings.length === 0) return 'unmapped';
  if (bindings.some((binding) => binding.status === 'ready')) return 'ready';
  if (bindings.some((binding) => binding.status !== 'error')) return 'preparing';
  return 'error';
}

export function toEnvironmentView(full: FullEnvironment, box: SecretBox): EnvironmentView {
  const { environment } = full;
  const problems: string[] = [];
  const secrets = full.secrets.map((secret) => {
    const readable = box.keyId !== null && secret.kmsKeyId === box.keyId;
    return { key: secret.key, set: true as const, updatedAt: secret.updatedAt, readable };
  });
  const unreadable = secrets.filter((secret) => !secret.readable).map((secret) => secret.key);
  if (unreadable.length > 0) {
    problems.push(
      `secrets ${unreadable.join(', ')} cannot be decrypted: ${box.problem ?? 'they were encrypted with another master key'}; set them again or restore the key`,
    );
  }
  return {
    id: environment.id,
    name: environment.name,
    description: environment.description,
    type: environment.type,
    repoUrl: environment.repoUrl,
    repoOrg: environment.repoOrg,
    repoName: environment.repoName,
    repoBranch: environment.repoBranch,
    localPath: environment.localPath,
    containerImage: environment.containerImage,
    workingDir: environment.workingDir,
    setupScript: environment.setupScript,
    setupTimeoutSeconds: environment.setupTimeoutSeconds,
    networkAccess: environment.networkAccess,
    persistVolume: environment.persistVolume,
    variables: full.variables.map((variable) => ({ key: variable.key, value: variable.value })),
    secrets,
    metadata: environment.metadata,
    mcpServers: environment.mcpServers,
    version: environment.version,
    status: pillOf(full.bindings),
    bindings: full.bindings.map(toBindingView),
    problems,
    createdAt: environment.createdAt,
    updatedAt: environment.updatedAt,
  };
}

/** `org` and `name` of a GitHub-style URL (`https://github.com/org/name.git`, `git@host:org/name`). */
export function repoParts(url: string | null): { repoOrg: string | null; repoName: string | null } {
  if (!url) return { repoOrg: null, repoName: null };
  const match = url.match(/[/:]([^/:]+)\/([^/]+?)(?:\.git)?\/?$/);
  return match ? { repoOrg: match[1]!, repoName: match[2]! } : { repoOrg: null, repoName: null };
}
