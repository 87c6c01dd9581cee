import { createHash } from 'node:crypto';
import type { Logger } from '../../core/logger.ts';
import { combineRedactors, type Redactor } from '../../core/redaction.ts';
import type { McpServerConfig, McpServerHealth } from '../../protocol/index.ts';
import { toolProcessEnvironment } from '../credentials.ts';
import { McpConnection, type McpServerLaunch, type ReconnectDelays } from './mcp-connection.ts';
import type { EnvironmentMcpServers, McpTaskTools, McpToolSource } from './mcp-tool-source.ts';

export interface McpManagerOptions {
  /** The viber's own servers as configured now (config.json; `config:push` may change it). */
  servers(): readonly McpServerConfig[];
  /** Where the viber's stdio servers start (their `cwd` is relative to it): the workspace. */
  workspace: string;
  /** The daemon's environment: stdio servers get only its allow-listed variables. */
  env: NodeJS.ProcessEnv;
  /** Names beyond the basic set passed on (config.agent.env), as for the agent's commands. */
  passNames(): readonly string[];
  /** A fresh backoff for each server (the daemon passes src/client/backoff.ts). */
  backoff(): ReconnectDelays;
  /** Blanks every credential the viber knows from what servers say (their stderr, their errors). */
  redactor(): Redactor;
  logger: Logger;
  /** Called when any server changes state (the daemon sends a heartbeat). */
  onChange?(): void;
  clientInfo?: { name: string; version: string };
}

interface Entry {
  connection: McpConnection;
  fingerprint: string;
}

/**
 * Keeps the daemon's MCP servers: the viber's own (shared by every task) and each environment's
 * (shared by the tasks of that environment), started when a task first needs them, restarted
 * when their configuration changes, health for the viber's reports, closed when the daemon stops.
 */
export class McpConnectionManager implements McpToolSource {
  readonly #options: McpManagerOptions;
  readonly #entries = new Map<string, Entry>();
  #closed = false;

  constructor(options: McpManagerOptions) {
    this.#options = options;
  }

  async toolsFor(request: {
    environment?: EnvironmentMcpServers;
    signal: AbortSignal;
  }): Promise<McpTaskTools> {
    if (this.#closed) return { tools: [], servers: [] };
    const own = this.#syncViber();
    const environment = request.environment ? this.#syncEnvironment(request.environment) : [];
    // An environment's server replaces the viber's server of the same name for its tasks.
    const shadowed = new Set(environment.map((connection) => connection.name));
    const wanted = [...own.filter((connection) => !shadowed.has(connection.name)), ...environment];
    await Promise.all(wanted.map((connection) => connection.ensure(request.signal)));
    return {
      tools: wanted.flatMap((connection) => connection.tools()),
      servers: wanted.map((connection) => connection.health()),
    };
  }

  /** Every server the daemon knows: the viber's (configured, started or not), then environments'. */
  health(): McpServerHealth[] {
    if (!this.#closed) this.#syncViber();
    return [...this.#entries.values()].map((entry) => entry.connection.health());
  }

  /**
   * After `config:push`: takes the new configuration and starts every enabled server of the viber,
   * so its health shows at once whether the configuration works.
   */
  async checkAll(): Promise<void> {
    if (this.#closed) return;
    await Promise.all(this.#syncViber().map((connection) => connection.ensure()));
  }

  async close(): Promise<void> {
    this.#closed = true;
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    await Promise.all(entries.map((entry) => entry.connection.close()));
  }

  /** The viber's servers as configured now: new ones added, changed ones replaced, removed ones closed. */
  #syncViber(): McpConnection[] {
    const configured = this.#options.servers();
    const keys = new Set(configured.map((server) => `viber/${server.name}`));
    for (const [key, entry] of this.#entries) {
      if (key.startsWith('viber/') && !keys.has(key)) this.#drop(key, entry);
    }
    return configured.map((config) =>
      this.#connection({ key: `viber/${config.name}`, config, baseDir: this.#options.workspace }, () =>
        this.#options.redactor(),
      ),
    );
  }

  #syncEnvironment(environment: EnvironmentMcpServers): McpConnection[] {
    const redactor = () => combineRedactors(environment.redactor, this.#options.redactor());
    const prefix = `environment/${environment.environmentId}/`;
    const keys = new Set(environment.servers.map(({ config }) => `${prefix}${config.name}`));
    for (const [key, entry] of this.#entries) {
      if (key.startsWith(prefix) && !keys.has(key)) this.#drop(key, entry);
    }
    return environment.servers.map(({ config, problem }) =>
      this.#connection(
        {
          key: `${prefix}${config.name}`,
          config,
          environment: { id: environment.environmentId, name: environment.environmentName },
          baseDir: environment.workingDir,
          ...(problem ? { problem } : {}),
        },
        redactor,
      ),
    );
  }

  /**
   * The running connection for `launch`, or a new one when it is new or its configuration changed
   * (the redactor is built only then: it reads the credential files).
   */
  #connection(launch: Omit<McpServerLaunch, 'redactor'>, redactor: () => Redactor): McpConnection {
    // Hashed: a resolved configuration holds secret values, which are kept nowhere else.
    const fingerprint = createHash('sha256')
      .update(JSON.stringify([launch.config, launch.baseDir, launch.problem ?? null]))
      .digest('hex');
    const existing = this.#entries.get(launch.key);
    if (existing?.fingerprint === fingerprint) return existing.connection;
    if (existing) this.#drop(launch.key, existing);
    const connection = new McpConnection({
      launch: { ...launch, redactor: redactor() },
      baseEnv: () => toolProcessEnvironment(this.#options.env, this.#options.passNames()),
      backoff: this.#options.backoff(),
      clientInfo: this.#options.clientInfo ?? { name: 'openviber', version: '0.0.0' },
      logger: this.#options.logger.child({ mcpServer: launch.key }),
      onChange: (changed) => {
        if (this.#entries.get(launch.key)?.connection === changed) this.#options.onChange?.();
      },
    });
    this.#entries.set(launch.key, { connection, fingerprint });
    return connection;
  }

  #drop(key: string, entry: Entry): void {
    this.#entries.delete(key);
    this.#options.logger.info({ mcpServer: key }, 'MCP server removed from the configuration; closing it');
    void entry.connection.close();
    this.#options.onChange?.();
  }
}
