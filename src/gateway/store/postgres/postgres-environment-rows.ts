import type {
  BindingStatus,
  BindingStrategy,
  EnvironmentType,
  McpServerConfig,
} from '../../../protocol/index.ts';
import type {
  BindingRecord,
  EnvironmentRecord,
  FullEnvironment,
  LogRecord,
  SecretRecord,
  VariableRecord,
} from '../environments-store.ts';
import type { Row } from './postgres-database.ts';

// Rows of the environment tables as store records, and records as statement values.

const text = (value: unknown): string | null =>
  value === null || value === undefined ? null : String(value);

/**
 * An environment with everything that hangs off it, in one statement: its variables (by key),
 * secrets (by key) and bindings (oldest first) as JSON arrays beside its row.
 */
export const FULL_ENVIRONMENT = `SELECT e.*,
  (SELECT coalesce(json_agg(json_build_object('key', v.key, 'value', v.value) ORDER BY v.key), '[]')
    FROM environment_vars v WHERE v.environment_id = e.id) AS variables_json,
  (SELECT coalesce(json_agg(s ORDER BY s.key), '[]')
    FROM environment_secrets s WHERE s.environment_id = e.id) AS secrets_json,
  (SELECT coalesce(json_agg(b ORDER BY b.position), '[]')
    FROM environment_bindings b WHERE b.environment_id = e.id) AS bindings_json
  FROM environments e`;

export function fullEnvironmentFromRow(row: Row): FullEnvironment {
  return {
    environment: environmentFromRow(row),
    variables: (row.variables_json as VariableRecord[]).map(({ key, value }) => ({ key, value })),
    secrets: (row.secrets_json as Row[]).map(secretFromRow),
    bindings: (row.bindings_json as Row[]).map(bindingFromRow),
  };
}

export function environmentFromRow(row: Row): EnvironmentRecord {
  return {
    id: row.id as string,
    userId: text(row.user_id),
    name: row.name as string,
    description: row.description as string,
    type: row.type as EnvironmentType,
    repoUrl: text(row.repo_url),
    repoOrg: text(row.repo_org),
    repoName: text(row.repo_name),
    repoBranch: text(row.repo_branch),
    localPath: text(row.local_path),
    containerImage: text(row.container_image),
    workingDir: text(row.working_dir),
    setupScript: text(row.setup_script),
    setupTimeoutSeconds: Number(row.setup_timeout_seconds),
    networkAccess: row.network_access === true,
    persistVolume: row.persist_volume === true,
    metadata: JSON.parse(row.metadata as string) as Record<string, unknown>,
    mcpServers: JSON.parse(row.mcp_servers as string) as McpServerConfig[],
    version: Number(row.version),
    createdAt: row.created_at as string,
    updatedAt: row.updated_at as string,
  };
}

export const ENVIRONMENT_COLUMNS = [
  'id',
  'user_id',
  'name',
  'description',
  'type',
  'repo_url',
  'repo_org',
  'repo_name',
  'repo_branch',
  'local_path',
  'container_image',
  'working_dir',
  'setup_script',
  'setup_timeout_seconds',
  'network_access',
  'persist_volume',
  'metadata',
  'mcp_servers',
  'version',
  'created_at',
  'updated_at',
] as const;

/** The environment's row in ENVIRONMENT_COLUMNS' order. */
export function environmentValues(env: EnvironmentRecord): unknown[] {
  return [
    env.id,
    env.userId,
    env.name,
    env.description,
    env.type,
    env.repoUrl,
    env.repoOrg,
    env.repoName,
    env.repoBranch,
    env.localPath,
    env.containerImage,
    env.workingDir,
    env.setupScript,
    env.setupTimeoutSeconds,
    env.networkAccess,
    env.persistVolume,
    JSON.stringify(env.metadata),
    JSON.stringify(env.mcpServers),
    env.version,
    env.createdAt,
    env.updatedAt,
  ];
}

export function secretFromRow(row: Row): SecretRecord {
  return {
    key: row.key as string,
    encryptedValue: row.encrypted_value as string,
    kmsKeyId: row.kms_key_id as string,
    createdAt: row.created_at as string,
    updatedAt: row.updated_at as string,
  };
}

export function bindingFromRow(row: Row): BindingRecord {
  return {
    id: row.id as string,
    environmentId: row.environment_id as string,
    viberId: row.viber_id as string,
    strategy: row.strategy as BindingStrategy,
    path: text(row.path),
    resolvedWorkingDir: text(row.resolved_working_dir),
    status: row.status as BindingStatus,
    generation: Number(row.generation),
    lastPrepareAt: text(row.last_prepare_at),
    lastError: text(row.last_error),
    createdAt: row.created_at as string,
    updatedAt: row.updated_at as string,
  };
}

export const BINDING_COLUMNS = [
  'id',
  'environment_id',
  'viber_id',
  'strategy',
  'path',
  'resolved_working_dir',
  'status',
  'generation',
  'last_prepare_at',
  'last_error',
  'created_at',
  'updated_at',
] as const;

export function bindingValues(binding: BindingRecord): unknown[] {
  return [
    binding.id,
    binding.environmentId,
    binding.viberId,
    binding.strategy,
    binding.path,
    binding.resolvedWorkingDir,
    binding.status,
    binding.generation,
    binding.lastPrepareAt,
    binding.lastError,
    binding.createdAt,
    binding.updatedAt,
  ];
}

export function logFromRow(row: Row): LogRecord {
  return {
    bindingId: row.binding_id as string,
    seq: Number(row.seq),
    generation: Number(row.generation),
    stream: row.stream as LogRecord['stream'],
    line: row.line as string,
    at: row.at as string,
  };
}

/** `$1, $2, ...` for a statement of `count` values. */
export const placeholders = (count: number, from = 1): string =>
  Array.from({ length: count }, (_, index) => `$${index + from}`).join(', ');
