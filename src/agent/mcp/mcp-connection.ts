import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ErrorCode, McpError, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../../core/logger.ts';
import type { Redactor } from '../../core/redaction.ts';
import {
  MCP_DEFAULT_TIMEOUT_MS,
  type McpServerConfig,
  type McpServerHealth,
  type McpServerState,
  mcpTransportOf,
} from '../../protocol/index.ts';
import { ToolError } from '../tools/tool-error.ts';
import { mcpTool } from './mcp-tool.ts';
import { listServerTools, type ToolListing } from './mcp-tool-listing.ts';
import type { McpTaskTool } from './mcp-tool-source.ts';
import { createServerTransport, type ServerTransport } from './mcp-transport.ts';

/** The one backoff of every reconnect (src/client/backoff.ts), handed in by whoever may import it. */
export interface ReconnectDelays {
  next(): number;
  reset(): void;
  readonly attempts: number;
}

/** Failed attempts in a row after which the daemon stops retrying on its own; a task that needs
 * the server then tries once more. */
export const MCP_MAX_RETRIES = 5;

/** One server as the daemon starts it. */
export interface McpServerLaunch {
  /** `viber/<name>` or `environment/<id>/<name>`: unique among the daemon's servers. */
  key: string;
  /** The configuration, secrets resolved. */
  config: McpServerConfig;
  environment?: { id: string; name: string };
  /** Where a stdio server starts (its `cwd` is relative to it). */
  baseDir: string;
  /** Why it cannot start at all (a secret it references is missing): it stays failed. */
  problem?: string;
  redactor: Redactor;
}

export interface McpConnectionOptions {
  launch: McpServerLaunch;
  baseEnv(): NodeJS.ProcessEnv;
  backoff: ReconnectDelays;
  clientInfo: { name: string; version: string };
  logger: Logger;
  onChange(connection: McpConnection): void;
}

type Phase = 'start' | 'initialize' | 'tools/list';

/**
 * One MCP server: started on first need, initialised and its tools listed within its timeout;
 * when it fails or dies it is tried again with backoff (at most MCP_MAX_RETRIES times in a row on
 * its own). Its state, reason and tools are what the viber's health reports.
 */
export class McpConnection {
  readonly launch: McpServerLaunch;
  readonly #options: McpConnectionOptions;
  #state: McpServerState;
  #reason: string | undefined;
  #since = new Date().toISOString();
  #retryAt: string | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #starting: Promise<void> | undefined;
  #attempt = 0;
  #client: Client | undefined;
  #tools: McpTaskTool[] = [];
  #skipped: ToolListing['skipped'] = [];
  #serverInfo: { name: string; version: string } | undefined;
  #protocolVersion: string | undefined;
  #closed = false;

  constructor(options: McpConnectionOptions) {
    this.#options = options;
    this.launch = options.launch;
    const { config, problem } = options.launch;
    this.#state = config.enabled === false ? 'disabled' : problem ? 'failed' : 'idle';
    this.#reason = config.enabled === false ? undefined : problem;
  }

  get name(): string {
    return this.launch.config.name;
  }

  get state(): McpServerState {
    return this.#state;
  }

  get timeoutMs(): number {
    return this.launch.config.timeoutMs ?? MCP_DEFAULT_TIMEOUT_MS;
  }

  /** The tools of the server while it is connected (none otherwise). */
  tools(): McpTaskTool[] {
    return this.#state === 'connected' ? this.#tools : [];
  }

  health(): McpServerHealth {
    const { launch } = this;
    return {
      name: this.name,
      transport: mcpTransportOf(launch.config),
      ...(launch.environment ? { environment: launch.environment } : {}),
      state: this.#state,
      ...(this.#reason ? { reason: this.#reason.slice(0, 2000) } : {}),
      toolCount: this.tools().length,
      ...(this.#skipped.length > 0 ? { skippedTools: this.#skipped.slice(0, 100) } : {}),
      ...(this.#serverInfo ? { serverInfo: this.#serverInfo } : {}),
      ...(this.#protocolVersion ? { protocolVersion: this.#protocolVersion } : {}),
      since: this.#since,
      ...(this.#retryAt && this.#state === 'failed' ? { retryAt: this.#retryAt } : {}),
    };
  }

  /**
   * Resolves once the server is connected or has failed (or `signal` aborts): starts it when it is
   * idle, or failed with no retry scheduled; a failed server waiting for its retry is left alone.
   */
  async ensure(signal?: AbortSignal): Promise<void> {
    if (this.#closed || this.#state === 'disabled' || this.launch.problem) return;
    if (this.#state === 'idle' || (this.#state === 'failed' && !this.#retryTimer)) this.#start();
    if (this.#starting) await untilAborted(this.#starting, signal);
  }

  /** Calls a tool; every failure is a ToolError whose message is written for the model. */
  async call(
    tool: string,
    input: Record<string, unknown>,
    signal: AbortSignal,
  ): Promise<Record<string, unknown>> {
    await this.ensure(signal);
    const client = this.#client;
    if (this.#state !== 'connected' || !client) throw new ToolError('failed', this.#unavailable());
    const attempt = this.#attempt;
    try {
      return (await client.callTool({ name: tool, arguments: input }, undefined, {
        signal,
        timeout: this.timeoutMs,
      })) as Record<string, unknown>;
    } catch (error) {
      if (signal.aborted) throw error;
      throw new ToolError('failed', this.#callFailure(tool, error, attempt));
    }
  }

  /** Stops the server for good (the daemon is stopping, or its configuration changed). */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    const client = this.#client;
    this.#client = undefined;
    await client?.close().catch(() => undefined);
  }

  #start(): void {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    const attempt = ++this.#attempt;
    // Starting again after a failure keeps why the last attempt failed.
    this.#set('starting', this.#state === 'failed' ? this.#reason : undefined);
    this.#starting = this.#connect(attempt)
      .then(
        () => {
          if (attempt !== this.#attempt || this.#closed) return;
          this.#options.backoff.reset();
          this.#retryAt = undefined;
          this.#set('connected', undefined);
          this.#options.logger.info(
            { server: this.name, tools: this.#tools.length, skipped: this.#skipped.length },
            'MCP server connected',
          );
        },
        (error: unknown) => {
          if (attempt === this.#attempt && !this.#closed)
            this.#fail(attempt, String((error as Error).message));
        },
      )
      .finally(() => {
        if (attempt === this.#attempt) this.#starting = undefined;
      });
  }

  /** Initialises the server and lists its tools; throws with the reason written for people. */
  async #connect(attempt: number): Promise<void> {
    const { config } = this.launch;
    const startAbort = new AbortController();
    let phase: Phase = 'start';
    let garbage: string | undefined;
    const server = createServerTransport(config, {
      baseEnv: this.#options.baseEnv(),
      baseDir: this.launch.baseDir,
      onStderrLine: (line) => this.#options.logger.debug({ server: this.name, line }, 'MCP server stderr'),
    });
    const client = new Client(this.#options.clientInfo, { capabilities: {} });
    this.#client = client;
    const setVersion = server.transport.setProtocolVersion?.bind(server.transport);
    server.transport.setProtocolVersion = (version) => {
      this.#protocolVersion = version;
      setVersion?.(version);
    };
    client.onerror = (error) => {
      if (attempt !== this.#attempt) return;
      // A line on stdout that is not JSON-RPC: the server is broken (stdout is the protocol's).
      if (isParseError(error)) {
        garbage ??= error.message;
        if (phase !== 'start' && this.#state === 'starting') startAbort.abort(new Error('garbage'));
      }
      this.#options.logger.warn({ server: this.name, error: error.message }, 'MCP server transport error');
    };
    client.onclose = () => {
      if (attempt !== this.#attempt || this.#closed || this.#state !== 'connected') return;
      this.#fail(attempt, `${this.#lost()}${stderrNote(server)}`);
    };
    client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
      if (attempt !== this.#attempt || this.#state !== 'connected') return;
      try {
        this.#useListing(await listServerTools(client, this.name, { timeout: this.timeoutMs }));
        this.#options.onChange(this);
      } catch (error) {
        this.#options.logger.warn(
          { server: this.name, error: (error as Error).message },
          'MCP tools not listed again',
        );
      }
    });
    try {
      phase = 'initialize';
      await client.connect(server.transport, { timeout: this.timeoutMs, signal: startAbort.signal });
      const info = client.getServerVersion();
      this.#serverInfo = info
        ? { name: info.name.slice(0, 200), version: info.version.slice(0, 100) }
        : undefined;
      phase = 'tools/list';
      this.#useListing(
        await listServerTools(client, this.name, { timeout: this.timeoutMs, signal: startAbort.signal }),
      );
    } catch (error) {
      await client.close().catch(() => undefined);
      const detail = garbage
        ? `it printed something on stdout that is not JSON-RPC (${garbage.slice(0, 300)}); a stdio server must write only MCP messages there`
        : this.#startFailure(error, phase);
      throw new Error(`${detail}${stderrNote(server)}`);
    }
  }

  #useListing(listing: ToolListing): void {
    this.#skipped = listing.skipped;
    for (const skipped of listing.skipped) {
      this.#options.logger.warn(
        { server: this.name, tool: skipped.name, reason: skipped.reason },
        'MCP tool skipped',
      );
    }
    const caller = { server: this.name, call: this.call.bind(this) };
    this.#tools = listing.tools.map((listed) => ({ server: this.name, tool: mcpTool(listed, caller) }));
  }

  #startFailure(error: unknown, phase: Phase): string {
    const { config } = this.launch;
    if (isCode(error, ErrorCode.RequestTimeout))
      return `it did not answer ${phase} within ${this.timeoutMs} ms`;
    if (isCode(error, ErrorCode.ConnectionClosed))
      return config.url !== undefined
        ? `the connection closed during ${phase}`
        : `the server process exited during ${phase}`;
    const message = describeError(error);
    if (phase === 'initialize' && config.command !== undefined && /ENOENT|EACCES|spawn/.test(message))
      return `could not start "${config.command}": ${message}`;
    return `${phase} failed: ${message}`;
  }

  #lost(): string {
    return this.launch.config.url !== undefined
      ? 'the connection to the server closed'
      : 'the server process exited';
  }

  #callFailure(tool: string, error: unknown, attempt: number): string {
    const label = `MCP server "${this.name}"`;
    if (isCode(error, ErrorCode.RequestTimeout))
      return `${label} did not answer ${tool} within ${this.timeoutMs} ms; the call was cancelled, and whether it took effect is unknown`;
    if (isCode(error, ErrorCode.ConnectionClosed))
      return `${label} stopped while ${tool} ran (${this.#reason ?? this.#lost()}); whether the call took effect is unknown. The viber restarts the server; try again shortly.`;
    if (error instanceof McpError) return `${label} refused ${tool}: ${this.#redact(error.message)}`;
    // Not an answer from the server: the link itself failed (an HTTP server gone). Reconnect.
    if (attempt === this.#attempt && this.#state === 'connected') {
      this.#fail(attempt, `${tool} could not reach it: ${describeError(error)}`);
      void this.#client?.close().catch(() => undefined);
    }
    return `${label} could not be reached while calling ${tool}: ${this.#redact(describeError(error))}. The viber reconnects it; try again shortly.`;
  }

  #unavailable(): string {
    const retry = this.#retryAt ? ` The viber tries it again at ${this.#retryAt}.` : '';
    return `MCP server "${this.name}" is not available: ${this.#reason ?? this.#state}.${retry}`;
  }

  #fail(attempt: number, reason: string): void {
    if (attempt !== this.#attempt || this.#closed) return;
    this.#tools = [];
    const backoff = this.#options.backoff;
    if (backoff.attempts < MCP_MAX_RETRIES) {
      const delay = backoff.next();
      this.#retryAt = new Date(Date.now() + delay).toISOString();
      this.#retryTimer = setTimeout(() => {
        this.#retryTimer = undefined;
        if (!this.#closed) this.#start();
      }, delay);
      this.#retryTimer.unref();
    } else {
      this.#retryAt = undefined;
    }
    this.#set('failed', this.#redact(reason));
    this.#options.logger.warn(
      { server: this.name, reason: this.#reason, retryAt: this.#retryAt ?? null },
      'MCP server failed',
    );
  }

  #set(state: McpServerState, reason: string | undefined): void {
    this.#state = state;
    this.#reason = reason;
    this.#since = new Date().toISOString();
    this.#options.onChange(this);
  }

  #redact(text: string): string {
    return this.launch.redactor.redact(text);
  }
}

function stderrNote(server: ServerTransport): string {
  const lines = server
    .stderrTail()
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  if (lines.length === 0) return '';
  return ` — its stderr ends: ${lines.slice(-3).join(' / ').slice(-400)}`;
}

function isCode(error: unknown, code: ErrorCode): boolean {
  return error instanceof McpError && error.code === code;
}

/** What the SDK's stdio reader reports for a line that is not a JSON-RPC message. */
function isParseError(error: Error): boolean {
  return error instanceof SyntaxError || error.name === 'ZodError' || /JSON/.test(error.message);
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  const causeText = cause instanceof Error ? cause.message : undefined;
  return causeText && !error.message.includes(causeText) ? `${error.message} (${causeText})` : error.message;
}

/** The promise, or nothing once `signal` aborts (a stopped task does not wait for a server). */
function untilAborted(promise: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    promise.then(done, done);
  });
}
