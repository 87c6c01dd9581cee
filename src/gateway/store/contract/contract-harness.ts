import { afterEach, beforeEach } from 'vitest';
import type { BindingRecord, EnvironmentRecord, FullEnvironment } from '../environments-store.ts';
import type { GatewayStore } from '../gateway-store.ts';
import type { NewCommand } from '../outbox-store.ts';
import type { ChangeSink, StoreChange } from '../store-changes.ts';
import { newTaskRecord, type TaskEventAppend, type TaskRecord } from '../tasks-store.ts';

export interface OpenedStore {
  store: GatewayStore;
  /** Closes the store and removes whatever it left behind (files, a schema). */
  dispose(): Promise<void>;
  /**
   * Another store on the same database, as a second gateway opens it (its own connections), for
   * races between gateways; `dispose` closes it too.
   */
  another?(): Promise<GatewayStore>;
}

/** Opens a fresh, empty store whose commits go to `onCommit`. */
export type OpenStore = (onCommit: ChangeSink) => Promise<OpenedStore>;

/** A fresh store per test, and what its commits told, in order (one array per commit). */
export interface StoreUnderTest {
  readonly store: GatewayStore;
  /** A second store on the same database (OpenedStore.another), or undefined when there is none. */
  another(): Promise<GatewayStore | undefined>;
  readonly commits: (readonly StoreChange[])[];
  /** Every change told so far, flattened; `clear` forgets them. */
  changes(): StoreChange[];
  clear(): void;
}

export function useStore(open: OpenStore): StoreUnderTest {
  let opened: OpenedStore | undefined;
  const commits: (readonly StoreChange[])[] = [];
  beforeEach(async () => {
    commits.length = 0;
    opened = await open((changes) => commits.push(changes));
  });
  afterEach(async () => {
    await opened?.dispose();
    opened = undefined;
  });
  return {
    get store() {
      if (!opened) throw new Error('the store is open only inside a test');
      return opened.store;
    },
    another: async () => opened?.another?.(),
    commits,
    changes: () => commits.flat(),
    clear: () => {
      commits.length = 0;
    },
  };
}

// Records as the gateway makes them; ids are fixed so expectations can name them.

let clock = Date.parse('2020-01-01T00:00:00.000Z');
/** Strictly increasing ISO times in the past (the store stamps its own updates with now). */
export function tick(): string {
  clock += 1000;
  return new Date(clock).toISOString();
}

export async function addViber(store: GatewayStore, id: string): Promise<void> {
  await store.insertViber({ id, name: `name of ${id}`, createdAt: tick() });
}

export function aTask(id: string, viberId: string, fields: Partial<TaskRecord> = {}): TaskRecord {
  return { ...newTaskRecord({ id, viberId, goal: `goal of ${id}` }, tick()), ...fields };
}

let commands = 0;
export function aCommand(
  viberId: string,
  taskId: string | null,
  type: string,
  fields: Record<string, unknown> = {},
): NewCommand {
  commands += 1;
  const commandId = `cmd_contract-${commands}`;
  return {
    commandId,
    viberId,
    taskId,
    type,
    message: JSON.stringify({ type, commandId, ...(taskId ? { taskId } : {}), ...fields }),
    createdAt: tick(),
  };
}

/** A pending task with its `task:submit` queued, as the router creates one. */
export async function addTask(
  store: GatewayStore,
  id: string,
  viberId: string,
  fields: Partial<TaskRecord> = {},
): Promise<TaskRecord> {
  const task = aTask(id, viberId, fields);
  await store.insertTask(task, aCommand(viberId, id, 'task:submit', { goal: task.goal }));
  return task;
}

/** A log row of `type` for the group commit, with the transition the test gives (none by default). */
export function anEvent(
  taskId: string,
  seq: number,
  type = 'task:stream-chunk',
  transition: TaskEventAppend['transition'] = () => null,
): TaskEventAppend {
  const chunk = type === 'task:stream-chunk';
  return {
    event: {
      taskId,
      seq,
      type,
      payload: chunk ? `{"type":"text-delta","id":"t","delta":"${seq}"}` : `{"n":${seq}}`,
      at: tick(),
      chunkType: chunk ? 'text-delta' : null,
    },
    transition,
  };
}

export function anEnvironment(id: string, name: string, fields: Partial<EnvironmentRecord> = {}) {
  const now = tick();
  const environment: EnvironmentRecord = {
    id,
    userId: null,
    name,
    description: `about ${name}`,
    type: 'manual',
    repoUrl: null,
    repoOrg: null,
    repoName: null,
    repoBranch: null,
    localPath: null,
    containerImage: null,
    workingDir: null,
    setupScript: null,
    setupTimeoutSeconds: 600,
    networkAccess: true,
    persistVolume: true,
    metadata: { team: 'contract' },
    mcpServers: [
      {
        name: 'docs',
        url: 'https://mcp.example/mcp',
        headers: { Authorization: `Bearer \${secrets.DOCS_TOKEN}` },
      },
    ],
    version: 1,
    createdAt: now,
    updatedAt: now,
    ...fields,
  };
  return environment;
}

export function aSecret(key: string, keyId = 'mk_contract') {
  const now = tick();
  return { key, encryptedValue: `v1.sealed-${key}`, kmsKeyId: keyId, createdAt: now, updatedAt: now };
}

export function aBinding(
  id: string,
  environmentId: string,
  viberId: string,
  fields: Partial<BindingRecord> = {},
): BindingRecord {
  const now = tick();
  return {
    id,
    environmentId,
    viberId,
    strategy: 'clone',
    path: null,
    resolvedWorkingDir: null,
    status: 'pending',
    generation: 1,
    lastPrepareAt: null,
    lastError: null,
    createdAt: now,
    updatedAt: now,
    ...fields,
  };
}

/** Creates an environment with one variable and one secret. */
export async function addEnvironment(
  store: GatewayStore,
  id: string,
  name: string,
): Promise<Omit<FullEnvironment, 'bindings'>> {
  const full = {
    environment: anEnvironment(id, name),
    variables: [{ key: 'REGION', value: 'eu' }],
    secrets: [aSecret('TOKEN')],
  };
  await store.createEnvironment(full);
  return full;
}

/** A prepare command of a binding, as the environments service queues one. */
export const aPrepare = (binding: BindingRecord): NewCommand =>
  aCommand(binding.viberId, null, 'environment:prepare', {
    bindingId: binding.id,
    environmentId: binding.environmentId,
    generation: binding.generation,
  });
