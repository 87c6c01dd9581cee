import { cp, rm } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { networkIsolationProblem, type SandboxCapabilities } from '../../agent/command-sandbox.ts';
import type { EnvironmentMcpServers } from '../../agent/mcp/index.ts';
import type { OpenViberHome } from '../../core/home.ts';
import { createRedactor, type Redactor } from '../../core/redaction.ts';
import {
  type EnvironmentSpec,
  resolveMcpSecretReferences,
  type ViberConfigPull,
} from '../../protocol/index.ts';
import { environmentVariables } from './environment-variables.ts';
import { isDirectory } from './materialize.ts';
import type { PreparedStates } from './prepared-state.ts';

/** How a task in an environment runs on this viber. */
export interface TaskEnvironment {
  environmentId: string;
  cwd: string;
  /** Variables and secrets for the processes the agent starts (never for the model). */
  env: Record<string, string>;
  redactor: Redactor;
  networkAccess: boolean;
  /** Set when commands run in the environment's container (an image is set and a runtime answers). */
  container: { image: string; mountRoot: string; variableNames: string[] } | undefined;
  /** The environment's MCP servers, their `${secrets.NAME}` resolved here (docs/mcp.md). */
  mcpServers: EnvironmentMcpServers;
  /** Called when the task ends: removes the task's copy when the volume is not persistent. */
  release(): Promise<void>;
}

export interface TaskEnvironmentInput {
  home: OpenViberHome;
  config: ViberConfigPull;
  states: PreparedStates;
  capabilities: SandboxCapabilities;
  isPreparing(bindingId: string): boolean;
  environmentId: string;
  taskId: string;
  /** The task's cwd option: relative to the environment's working directory. */
  cwd: string | undefined;
}

/** A task that cannot run in the environment fails with this message (the task's error). */
export class TaskEnvironmentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TaskEnvironmentError';
  }
}

/**
 * Resolves the environment's ready binding on this viber. A persistent volume keeps one working
 * directory for every task; otherwise each task gets a fresh copy of the prepared directory,
 * removed when it ends, so no task sees what an earlier one changed.
 */
export async function resolveTaskEnvironment(input: TaskEnvironmentInput): Promise<TaskEnvironment> {
  const binding = input.config.bindings.find((candidate) => candidate.environmentId === input.environmentId);
  if (!binding)
    throw new TaskEnvironmentError(`environment ${input.environmentId} is not mapped to this viber`);
  const spec = binding.environment;
  if (input.isPreparing(binding.id) || binding.status !== 'ready') {
    throw new TaskEnvironmentError(`environment ${spec.name} is not ready on this viber (${binding.status})`);
  }
  const state = input.states.read(binding.id);
  if (!state || state.generation !== binding.generation || !isDirectory(state.workingDir)) {
    throw new TaskEnvironmentError(
      `environment ${spec.name} is not prepared on this viber for its current version; prepare it again`,
    );
  }
  const { capabilities } = input;
  const inContainer = Boolean(spec.containerImage) && capabilities.containerRuntime.available;
  const noIsolation = networkIsolationProblem(capabilities);
  if (!spec.networkAccess && !inContainer && noIsolation) {
    throw new TaskEnvironmentError(
      `environment ${spec.name} has network access off, but this viber cannot enforce it (${noIsolation})`,
    );
  }
  let root = state.root;
  let cwd = state.workingDir;
  let release = async () => {};
  if (!spec.persistVolume) {
    const copy = join(input.home.workspace, input.taskId, 'environment');
    await cp(state.root, copy, { recursive: true, verbatimSymlinks: true, force: true });
    root = copy;
    cwd = join(copy, relative(state.root, state.workingDir));
    release = () => rm(copy, { recursive: true, force: true });
  }
  if (input.cwd) {
    const target = resolve(cwd, input.cwd);
    if (relative(root, target).startsWith('..') || !isDirectory(target)) {
      await release();
      throw new TaskEnvironmentError(`cwd ${input.cwd} is not a directory inside environment ${spec.name}`);
    }
    cwd = target;
  }
  const env = environmentVariables(spec);
  const redactor = createRedactor(spec.secrets);
  return {
    environmentId: spec.id,
    cwd,
    env,
    redactor,
    mcpServers: environmentMcpServers(spec, state.workingDir, redactor),
    networkAccess: spec.networkAccess,
    container: inContainer
      ? { image: spec.containerImage!, mountRoot: root, variableNames: Object.keys(env) }
      : undefined,
    release,
  };
}

/**
 * The environment's MCP servers with their secret references resolved from its secrets; a server
 * that references a secret this viber did not receive keeps the reason (it is reported failed).
 * An empty list too, so the servers of an environment that dropped them all are stopped.
 */
export function environmentMcpServers(
  spec: EnvironmentSpec,
  workingDir: string,
  redactor: Redactor,
): EnvironmentMcpServers {
  const servers = (spec.mcpServers ?? []).map((config) => {
    const resolved = resolveMcpSecretReferences(config, spec.secrets);
    if (resolved.ok) return { config: resolved.server };
    const missing = resolved.missing.join(', ');
    return {
      config,
      problem: `it references secret ${missing}, which this viber did not receive from the gateway (set it again, or check the gateway's master key)`,
    };
  });
  return { environmentId: spec.id, environmentName: spec.name, workingDir, redactor, servers };
}
