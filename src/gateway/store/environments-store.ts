import type {
  BindingStatus,
  BindingStrategy,
  EnvironmentType,
  McpServerConfig,
} from '../../protocol/index.ts';
import type { NewCommand } from './outbox-store.ts';
import type { Page, PageRequest } from './store-page.ts';

export interface EnvironmentRecord {
  id: string;
  userId: string | null;
  name: string;
  description: string;
  type: EnvironmentType;
  repoUrl: string | null;
  repoOrg: string | null;
  repoName: string | null;
  repoBranch: string | null;
  localPath: string | null;
  containerImage: string | null;
  workingDir: string | null;
  setupScript: string | null;
  setupTimeoutSeconds: number;
  networkAccess: boolean;
  persistVolume: boolean;
  metadata: Record<string, unknown>;
  /** As the operator gave them: secrets only as `${secrets.NAME}` references. */
  mcpServers: McpServerConfig[];
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface VariableRecord {
  key: string;
  value: string;
}

export interface SecretRecord {
  key: string;
  encryptedValue: string;
  kmsKeyId: string;
  createdAt: string;
  updatedAt: string;
}

export interface BindingRecord {
  id: string;
  environmentId: string;
  viberId: string;
  strategy: BindingStrategy;
  path: string | null;
  resolvedWorkingDir: string | null;
  status: BindingStatus;
  generation: number;
  lastPrepareAt: string | null;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface LogRecord {
  bindingId: string;
  seq: number;
  generation: number;
  stream: 'stdout' | 'stderr' | 'system';
  line: string;
  at: string;
}

/** An environment's place in `environmentPage`'s order: its name, then its id. */
export type EnvironmentPageKey = readonly [name: string, id: string];

export interface EnvironmentQuery extends PageRequest<EnvironmentPageKey> {
  /** Environments whose name contains this, ignoring ASCII case. */
  nameContains?: string;
}

/** An environment with everything that hangs off it. */
export interface FullEnvironment {
  environment: EnvironmentRecord;
  variables: VariableRecord[];
  secrets: SecretRecord[];
  bindings: BindingRecord[];
}

/** What `updateEnvironment`'s decide returns: applied in the same transaction. */
export interface EnvironmentChange {
  environment: EnvironmentRecord;
  /** Replaces every variable when given. */
  variables?: VariableRecord[];
  setSecrets?: SecretRecord[];
  deleteSecrets?: string[];
  bindings?: BindingRecord[];
  commands?: NewCommand[];
}

export interface BindingChange {
  binding: BindingRecord;
  command?: NewCommand;
}

/**
 * Environments (environments document, section 5): their variables, secrets (ciphertext only),
 * bindings to vibers and the bindings' preparation logs. A command a change queues (prepare,
 * sync) goes into the outbox in the same transaction.
 */
export interface EnvironmentsStore {
  /** Throws an OpenViberError `conflict` when the name is taken. */
  createEnvironment(full: Omit<FullEnvironment, 'bindings'>): Promise<void>;
  getEnvironment(id: string): Promise<FullEnvironment | null>;
  findEnvironmentByName(name: string): Promise<FullEnvironment | null>;
  /** By name, case-insensitively. */
  listEnvironments(): Promise<FullEnvironment[]>;
  /** A page of `listEnvironments`'s order: by name ignoring ASCII case, then by id. */
  environmentPage(query: EnvironmentQuery): Promise<Page<FullEnvironment, EnvironmentPageKey>>;
  /**
   * Reads, lets `decide` choose the change (it may throw to abort), applies it: one transaction.
   * Throws an OpenViberError `conflict` when the new name is taken. Null when there is no such id.
   */
  updateEnvironment(
    id: string,
    decide: (current: FullEnvironment) => EnvironmentChange,
  ): Promise<FullEnvironment | null>;
  /** Removes the environment, its variables, secrets, bindings, logs and outstanding commands. */
  deleteEnvironment(id: string): Promise<boolean>;
  countSecrets(): Promise<number>;

  getBinding(id: string): Promise<BindingRecord | null>;
  /** Oldest first. */
  listBindingsOfViber(viberId: string): Promise<BindingRecord[]>;
  /** Creates or changes the binding of (environment, viber) and queues its command, atomically. */
  upsertBinding(
    environmentId: string,
    viberId: string,
    decide: (existing: BindingRecord | null) => BindingChange,
  ): Promise<BindingRecord>;
  /** Null when there is no such binding; the binding unchanged when `decide` returns null. */
  updateBinding(
    id: string,
    decide: (binding: BindingRecord) => BindingChange | null,
  ): Promise<BindingRecord | null>;

  /** Appends a log line (the next seq of the binding); keeps the newest `keep` lines. */
  appendBindingLog(line: Omit<LogRecord, 'seq'>, keep: number): Promise<LogRecord>;
  readBindingLogs(bindingId: string, afterSeq: number, limit: number): Promise<LogRecord[]>;
}
