import { randomBytes } from 'node:crypto';
import { type ManagedProcess, spawnViber } from './processes.ts';
import { RestClient } from './rest-client.ts';
import { openTaskStreamReader, type TaskStreamReader } from './task-stream-reader.ts';
import { makeTempDir } from './temp-dirs.ts';

/**
 * A gateway and daemons as separate `viber` processes, per the CLI contract:
 * `viber gateway --host 127.0.0.1 --port <n>` prints `listening on <url>`; `viber start` prints
 * `connected to <url> as <viberId>` on each connection.
 */

export const LISTENING_LINE = /listening on (https?:\/\/127\.0\.0\.1:(\d+))/;
export const CONNECTED_LINE = /connected to (\S+) as (\S+)/;

export interface GatewayOptions {
  /** OPENVIBER_HOME; a fresh temp home when omitted. Reuse it to restart the same gateway. */
  home?: string;
  /** 0 (default) picks a free port; pass the old port to restart in place. */
  port?: number;
  operatorToken?: string;
  heartbeatIntervalMs?: number;
  graceMs?: number;
  env?: Record<string, string | undefined>;
  /** More `viber gateway` arguments (`--tls-cert F --tls-key F` makes it https and wss). */
  args?: string[];
  name?: string;
}

export interface GatewayHandle {
  process: ManagedProcess;
  home: string;
  port: number;
  url: string;
  wsUrl: string;
  operatorToken: string;
  rest: RestClient;
  /** The options it was started with, for a restart in place. */
  options: Required<Pick<GatewayOptions, 'home' | 'operatorToken'>> & GatewayOptions;
  /** Reads a task's stream with the AI SDK's parsing. */
  follow(taskId: string, lastEventId?: string): Promise<TaskStreamReader>;
}

export async function spawnGateway(options: GatewayOptions = {}): Promise<GatewayHandle> {
  const home = options.home ?? makeTempDir('gateway');
  const operatorToken = options.operatorToken ?? `ovo_test_${randomBytes(16).toString('hex')}`;
  const args = ['gateway', '--host', '127.0.0.1', '--port', String(options.port ?? 0)];
  if (options.heartbeatIntervalMs !== undefined)
    args.push('--heartbeat-interval', String(options.heartbeatIntervalMs));
  if (options.graceMs !== undefined) args.push('--grace', String(options.graceMs));
  args.push(...(options.args ?? []));
  const child = spawnViber(args, {
    name: options.name ?? 'gateway',
    env: { OPENVIBER_HOME: home, OPENVIBER_OPERATOR_TOKEN: operatorToken, ...options.env },
  });
  const match = await child.waitForLine(LISTENING_LINE);
  const url = match[1]!;
  const port = Number(match[2]);
  const rest = new RestClient(url, operatorToken);
  return {
    process: child,
    home,
    port,
    url,
    wsUrl: `${url.startsWith('https:') ? 'wss' : 'ws'}://127.0.0.1:${port}/ws`,
    operatorToken,
    rest,
    options: { ...options, home, operatorToken },
    follow: (taskId, lastEventId) =>
      openTaskStreamReader({ baseUrl: url, token: operatorToken, taskId }, lastEventId),
  };
}

/** Starts the same gateway again (same home, token and port) after it died. */
export function restartGateway(previous: GatewayHandle, name = 'gateway-restarted'): Promise<GatewayHandle> {
  return spawnGateway({ ...previous.options, port: previous.port, name });
}

export interface DaemonOptions {
  serverUrl: string;
  viberId: string;
  token: string;
  /** OpenAI-compatible base URL (`.../v1`) the agent's custom provider uses. */
  modelBaseURL: string;
  model?: string;
  home?: string;
  name?: string;
  heartbeatIntervalMs?: number;
  env?: Record<string, string | undefined>;
  /** More `viber start` arguments (`--ca FILE`). */
  args?: string[];
}

export interface DaemonHandle {
  process: ManagedProcess;
  home: string;
  viberId: string;
  /** Waits for the n-th `connected` line (1-based). */
  waitForConnection(occurrence?: number, timeoutMs?: number): Promise<void>;
  readonly connections: number;
}

/** Starts `viber start` and, unless `waitConnected` is false, waits for its first connection. */
export async function spawnDaemon(options: DaemonOptions, waitConnected = true): Promise<DaemonHandle> {
  const home = options.home ?? makeTempDir('daemon');
  // The token travels in the environment (readable by this user only), never on the command line.
  const args = ['start', '--server', options.serverUrl, '--id', options.viberId];
  if (options.name) args.push('--name', options.name);
  if (options.heartbeatIntervalMs !== undefined)
    args.push('--heartbeat-interval', String(options.heartbeatIntervalMs));
  args.push(...(options.args ?? []));
  const child = spawnViber(args, {
    name: `daemon-${options.name ?? options.viberId}`,
    env: {
      OPENVIBER_HOME: home,
      OPENVIBER_VIBER_TOKEN: options.token,
      OPENVIBER_MODEL: `custom/${options.model ?? 'test-model'}`,
      OPENVIBER_BASE_URL: options.modelBaseURL,
      ...options.env,
    },
  });
  const handle: DaemonHandle = {
    process: child,
    home,
    viberId: options.viberId,
    async waitForConnection(occurrence = 1, timeoutMs = 30_000) {
      await child.waitForLine(CONNECTED_LINE, { occurrence, timeoutMs });
    },
    get connections() {
      return child.lines(CONNECTED_LINE).length;
    },
  };
  if (waitConnected) await handle.waitForConnection();
  return handle;
}

/** Registers a viber on the gateway and starts its daemon. */
export async function spawnViberFor(
  gateway: GatewayHandle,
  options: Omit<DaemonOptions, 'serverUrl' | 'viberId' | 'token'> & { waitConnected?: boolean },
): Promise<DaemonHandle & { token: string }> {
  const viber = await gateway.rest.registerViber(options.name ?? 'test-viber');
  const daemon = await spawnDaemon(
    { ...options, serverUrl: gateway.wsUrl, viberId: viber.id, token: viber.token },
    options.waitConnected ?? true,
  );
  return Object.assign(daemon, { token: viber.token });
}
