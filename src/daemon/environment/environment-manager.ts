import { join } from 'node:path';
import {
  commandWrapper,
  networkIsolationProblem,
  ownProcessLineage,
  type SandboxCapabilities,
  type SandboxPlan,
  sandboxCapabilities,
} from '../../agent/command-sandbox.ts';
import { credentialFolders, toolProcessEnvironment, withoutCredentials } from '../../agent/credentials.ts';
import type { OpenViberHome } from '../../core/home.ts';
import type { Logger } from '../../core/logger.ts';
import { createRedactor, NO_REDACTION, type Redactor } from '../../core/redaction.ts';
import type {
  ConfigValidation,
  DaemonMessage,
  EnvironmentSpec,
  ViberBindingConfig,
  ViberConfigPull,
} from '../../protocol/index.ts';
import { environmentValidations } from './environment-validations.ts';
import { environmentVariables } from './environment-variables.ts';
import { isDirectory, materialize, PrepareError } from './materialize.ts';
import { PreparedStates } from './prepared-state.ts';
import { runStreaming } from './process-runner.ts';
import { runSetupScript } from './setup-script.ts';
import { resolveTaskEnvironment, type TaskEnvironment } from './task-environment.ts';

export interface EnvironmentManagerOptions {
  home: OpenViberHome;
  /** The daemon's environment: the base of what setup scripts and tasks see (minus its keys). */
  env: NodeJS.ProcessEnv;
  /** GET /api/vibers/:id/config: bindings with their specification and secret values. */
  pull(): Promise<ViberConfigPull>;
  send(message: DaemonMessage): boolean;
  logger: Logger;
  capabilities?: () => Promise<SandboxCapabilities>;
  /** Names of the daemon's variables setup scripts may see (config.agent.env). */
  passNames?: () => readonly string[];
}

type LogStream = 'stdout' | 'stderr' | 'system';
/** Lines sent per preparation; the rest is summarised in one line. */
const MAX_LOG_LINES = 5000;

/**
 * Prepares this viber's environment bindings (environments document, section 7): resolve the
 * binding, materialise the code, inject variables and secrets, run the setup script, check
 * health, and report `environment:status` and `environment:log`, every line redacted of every
 * secret value before it leaves the daemon. One preparation per binding at a time; a newer
 * request waits for the running one and then runs.
 */
export class EnvironmentManager {
  readonly #options: EnvironmentManagerOptions;
  readonly #states: PreparedStates;
  readonly #running = new Map<string, { generation: number; done: Promise<void>; abort: AbortController }>();
  readonly #queued = new Map<string, number>();
  /** The last generation finished (ready or error) per binding in this process. */
  readonly #finished = new Map<string, number>();

  constructor(options: EnvironmentManagerOptions) {
    this.#options = options;
    this.#states = new PreparedStates(join(options.home.daemon, 'environments'));
  }

  get states(): PreparedStates {
    return this.#states;
  }

  capabilities(): Promise<SandboxCapabilities> {
    return (this.#options.capabilities ?? sandboxCapabilities)();
  }

  /** An `environment:prepare` or `environment:sync`; a generation already handled is a duplicate. */
  request(bindingId: string, generation: number): void {
    const running = this.#running.get(bindingId);
    if (running) {
      if (generation > running.generation && generation > (this.#queued.get(bindingId) ?? 0)) {
        this.#queued.set(bindingId, generation);
      }
      return;
    }
    if ((this.#finished.get(bindingId) ?? 0) >= generation) return;
    const state = this.#states.read(bindingId);
    if (state && state.generation >= generation && isDirectory(state.workingDir)) {
      this.#status(bindingId, generation, { status: 'ready', resolvedWorkingDir: state.workingDir });
      return;
    }
    this.#start(bindingId, generation);
  }

  /**
   * After every (re)connect: prepare what the gateway still waits for (a daemon killed while
   * preparing), report ready again what is ready here, and prepare again what was ready but is gone.
   */
  async resync(): Promise<void> {
    let config: ViberConfigPull;
    try {
      config = await this.#options.pull();
    } catch (error) {
      this.#options.logger.warn({ err: error }, 'environment resync: config pull failed');
      return;
    }
    for (const binding of config.bindings) {
      if (this.#running.has(binding.id) || binding.status === 'error') continue;
      const state = this.#states.read(binding.id);
      const current = state?.generation === binding.generation && isDirectory(state.workingDir);
      if (current && binding.status !== 'ready') {
        this.#status(binding.id, binding.generation, {
          status: 'ready',
          resolvedWorkingDir: state!.workingDir,
        });
      } else if (!current) {
        this.#finished.delete(binding.id);
        this.request(binding.id, binding.generation);
      }
    }
  }

  /** How a task in the environment runs here; throws (TaskEnvironmentError) when it cannot. */
  async taskEnvironment(
    environmentId: string,
    taskId: string,
    cwd: string | undefined,
  ): Promise<TaskEnvironment> {
    const [config, capabilities] = await Promise.all([this.#options.pull(), this.capabilities()]);
    return resolveTaskEnvironment({
      home: this.#options.home,
      config,
      states: this.#states,
      capabilities,
      isPreparing: (bindingId) => this.#running.has(bindingId),
      environmentId,
      taskId,
      cwd,
    });
  }

  /** The environment part of `config:ack`: pulls the config and checks what the bindings need. */
  async validations(): Promise<ConfigValidation[]> {
    const checkedAt = new Date().toISOString();
    try {
      const [config, capabilities] = await Promise.all([this.#options.pull(), this.capabilities()]);
      return await environmentValidations(config, capabilities, withoutCredentials(this.#options.env));
    } catch (error) {
      const message = `cannot check environments: ${(error as Error).message}`.slice(0, 2000);
      return [{ category: 'env_secrets', status: 'failed', message, checkedAt }];
    }
  }

  /** Resolves when no preparation is running or queued. */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.all([...this.#running.values()].map((entry) => entry.done));
  }

  /** Cancels running preparations (their scripts are killed) and waits for them. */
  async close(): Promise<void> {
    this.#queued.clear();
    for (const entry of this.#running.values()) entry.abort.abort();
    await this.idle();
  }

  #start(bindingId: string, generation: number): void {
    const abort = new AbortController();
    const done = this.#prepare(bindingId, generation, abort.signal).finally(() => {
      this.#running.delete(bindingId);
      this.#finished.set(bindingId, generation);
      const next = this.#queued.get(bindingId);
      this.#queued.delete(bindingId);
      if (next !== undefined) this.#start(bindingId, next);
    });
    this.#running.set(bindingId, { generation, done, abort });
  }

  async #prepare(bindingId: string, generation: number, signal: AbortSignal): Promise<void> {
    const logger = this.#options.logger.child({ bindingId, generation });
    let redactor: Redactor = NO_REDACTION;
    let sent = 0;
    const log = (stream: LogStream, line: string) => {
      sent += 1;
      if (sent > MAX_LOG_LINES) return;
      const text = sent === MAX_LOG_LINES ? `… more output not shown (over ${MAX_LOG_LINES} lines)` : line;
      this.#options.send({
        type: 'environment:log',
        bindingId,
        generation,
        stream: sent === MAX_LOG_LINES ? 'system' : stream,
        line: redactor.redact(text).slice(0, 16_000),
      });
    };
    this.#states.remove(bindingId);
    this.#status(bindingId, generation, { status: 'preparing' });
    logger.info('preparing environment');
    try {
      const binding = await this.#binding(bindingId);
      if (binding.generation !== generation) {
        logger.info(
          { current: binding.generation },
          'a newer preparation was requested; this one is dropped',
        );
        return;
      }
      const spec = binding.environment;
      redactor = createRedactor(spec.secrets);
      const prepared = await this.#prepareBinding(binding, spec, log, signal);
      this.#states.write({
        bindingId,
        environmentId: spec.id,
        generation,
        version: spec.version,
        ...prepared,
        preparedAt: new Date().toISOString(),
      });
      log('system', `ready in ${prepared.workingDir}`);
      this.#status(bindingId, generation, { status: 'ready', resolvedWorkingDir: prepared.workingDir });
      logger.info({ workingDir: prepared.workingDir }, 'environment ready');
    } catch (error) {
      const detail =
        error instanceof PrepareError ? error.message : `unexpected failure: ${(error as Error).message}`;
      const message = redactor.redact(detail).slice(0, 8000);
      log('system', `preparation failed: ${message}`);
      this.#status(bindingId, generation, { status: 'error', error: message });
      logger.warn({ reason: message }, 'environment preparation failed');
    }
  }

  async #prepareBinding(
    binding: ViberBindingConfig,
    spec: EnvironmentSpec,
    log: (stream: LogStream, line: string) => void,
    signal: AbortSignal,
  ): Promise<{ root: string; workingDir: string }> {
    if (spec.unreadableSecrets.length > 0) {
      throw new PrepareError(
        `secrets ${spec.unreadableSecrets.join(', ')} cannot be decrypted by the gateway (its master key is missing or wrong); restore the key or set them again`,
      );
    }
    const capabilities = await this.capabilities();
    const inContainer = Boolean(spec.containerImage) && capabilities.containerRuntime.available;
    if (spec.containerImage && !capabilities.containerRuntime.available) {
      log(
        'system',
        `container image ${spec.containerImage} cannot be honoured: ${capabilities.containerRuntime.reason}; setup and tasks run on the host`,
      );
    }
    const noIsolation = networkIsolationProblem(capabilities);
    if (!spec.networkAccess && !inContainer && noIsolation) {
      throw new PrepareError(
        `network access is off, but this viber cannot run commands without network (${noIsolation}); turn network access on, or run the daemon where bubblewrap, unshare -n (root) or unshare -rn (user namespaces) works`,
      );
    }
    const env = this.#processEnv(spec);
    const materialized = await materialize({
      binding,
      spec,
      environmentsDir: join(this.#options.home.workspace, 'environments'),
      env: withoutCredentials(this.#options.env),
      log,
      signal,
    });
    // Setup scripts come from the environment's repository: they run as untrusted as the agent's
    // commands (credential folders hidden), with network so they can fetch dependencies.
    const wrapper = commandWrapper(capabilities, this.#sandboxPlan(spec, materialized, env, true));
    await runSetupScript({
      spec,
      workingDir: materialized.workingDir,
      scratchDir: join(this.#options.home.daemon, 'environments', binding.id),
      env,
      wrapper,
      log,
      signal,
    });
    await this.#healthCheck(spec, materialized, capabilities, env, log);
    return materialized;
  }

  /** The code is there, git sees a commit, and commands run as tasks will run them. */
  async #healthCheck(
    spec: EnvironmentSpec,
    materialized: { root: string; workingDir: string },
    capabilities: SandboxCapabilities,
    env: NodeJS.ProcessEnv,
    log: (stream: LogStream, line: string) => void,
  ): Promise<void> {
    if (!isDirectory(materialized.workingDir)) {
      throw new PrepareError(`health check: ${materialized.workingDir} is gone after setup`);
    }
    const wrapper =
      commandWrapper(capabilities, this.#sandboxPlan(spec, materialized, env, spec.networkAccess)) ?? [];
    const probe = spec.repoUrl ? 'git rev-parse --verify --quiet HEAD >/dev/null' : 'true';
    const [program, ...args] = [...wrapper, 'bash', '-c', probe];
    const outcome = await runStreaming({
      program: program!,
      args,
      cwd: materialized.workingDir,
      env,
      timeoutMs: 60_000,
      onLine: (stream, line) => log(stream, line),
    });
    if (outcome.code !== 0) {
      throw new PrepareError(
        `health check failed: ${[...wrapper, 'bash', '-c', probe].join(' ')} exited with ${outcome.code ?? outcome.signal ?? outcome.spawnError}`,
      );
    }
    log(
      'system',
      `health check passed${wrapper.length > 0 ? ` (commands run under: ${wrapper.slice(0, 2).join(' ')})` : ''}`,
    );
  }

  async #binding(bindingId: string): Promise<ViberBindingConfig> {
    let config: ViberConfigPull;
    try {
      config = await this.#options.pull();
    } catch (error) {
      throw new PrepareError((error as Error).message);
    }
    const binding = config.bindings.find((candidate) => candidate.id === bindingId);
    if (!binding) throw new PrepareError(`binding ${bindingId} is not assigned to this viber any more`);
    return binding;
  }

  /** What setup scripts see: the allow-listed part of the daemon's environment (as the agent's
   * commands do), then the environment's variables and secrets. */
  #processEnv(spec: EnvironmentSpec): NodeJS.ProcessEnv {
    return toolProcessEnvironment(this.#options.env, this.#options.passNames?.(), environmentVariables(spec));
  }

  #sandboxPlan(
    spec: EnvironmentSpec,
    materialized: { root: string; workingDir: string },
    env: NodeJS.ProcessEnv,
    networkAccess: boolean,
  ): SandboxPlan {
    return {
      hiddenPaths: credentialFolders(this.#options.home),
      hiddenPids: ownProcessLineage(),
      networkAccess,
      ...(spec.containerImage
        ? {
            container: {
              image: spec.containerImage,
              mountRoot: materialized.root,
              cwd: materialized.workingDir,
              variableNames: Object.keys(env),
            },
          }
        : {}),
    };
  }

  #status(
    bindingId: string,
    generation: number,
    fields: { status: 'preparing' | 'ready' | 'error'; resolvedWorkingDir?: string; error?: string },
  ): void {
    this.#options.send({ type: 'environment:status', bindingId, generation, ...fields });
  }
}
