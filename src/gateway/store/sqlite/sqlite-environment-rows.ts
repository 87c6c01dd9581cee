import type {
  BindingStatus,
  BindingStrategy,
  EnvironmentType,
  McpServerConfig,
} from '../../../protocol/index.ts';
import type { BindingRecord, EnvironmentRecord, LogRecord, SecretRecord } from '../environments-store.ts';
import type { Row } from './sqlite-database.ts';

// Rows of the environment tables as store records, and records as named parameters.
type Params = Record<string, string | number | null>;

const text = (value: unknown): string | null =>
  value === null || value === undefined ? null : String(value);

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
    networkAccess: Number(row.network_access) === 1,
    persistVolume: Number(row.persist_volume) === 1,
    metadata: JSON.parse(row.metadata as string) as Record<string, unknown>,
    mcpServers: JSON.parse(row.mcp_servers as string) as McpServerConfig[],
    version: Number(row.version),
    createdAt: row.created_at as string,
    updatedAt: row.updated_at as string,
  };
}

export function environmentParams(env: EnvironmentRecord): Params {
  return {
    id: env.id,
    user_id: env.userId,
    name: env.name,
    description: env.description,
    type: env.type,
    repo_url: env.repoUrl,
    repo_org: env.repoOrg,
    repo_name: env.repoName,
    repo_branch: env.repoBranch,
    local_path: env.localPath,
    container_image: env.containerImage,
    working_dir: env.workingDir,
    setup_script: env.setupScript,
    setup_timeout_seconds: env.setupTimeoutSeconds,
    network_access: env.networkAccess ? 1 : 0,
    persist_volume: env.persistVolume ? 1 : 0,
    metadata: JSON.stringify(env.metadata),
    mcp_servers: JSON.stringify(env.mcpServers),
    version: env.version,
    created_at: env.createdAt,
    updated_at: env.updatedAt,
  };
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

export function bindingParams(binding: BindingRecord): Params {
  return {
    id: binding.id,
    environment_id: binding.environmentId,
    viber_id: binding.viberId,
    strategy: binding.strategy,
    path: binding.path,
    resolved_working_dir: binding.resolvedWorkingDir,
    status: binding.status,
    generation: binding.generation,
    last_prepare_at: binding.lastPrepareAt,
    last_error: binding.lastError,
    created_at: binding.createdAt,
    updated_at: binding.updatedAt,
  };
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

export const ENVIRONMENT_COLUMNS = Object.keys(
  environmentParams({
    id: '',
    userId: null,
    name: '',
    description: '',
    type: 'manual',
    repoUrl: null,
    repoOrg: null,
    repoName: null,
    repoBranch: null,
    localPath: null,
    containerImage: null,
    workingDir: null,
    setupScript: null,
    setupTimeoutSeconds: 0,
    networkAccess: true,
    persistVolume: true,
    metadata: {},
    mcpServers: [],
    version: 1,
    createdAt: '',
    updatedAt: '',
  }),
);

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
];
