import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type ConnectTerminalOptions,
  createGatewayClient,
  type GatewayClient,
  type TerminalConnection,
} from '../client/index.ts';
import { loadOrCreateDeviceKey } from '../core/device-key.ts';
import type { OpenViberHome } from '../core/home.ts';
import { cliCredentialsPath, cliDeviceKeyPath, readCliCredentials, sameGateway } from './cli-credentials.ts';
import { CliError } from './cli-error.ts';

export const DEFAULT_GATEWAY_URL = 'http://127.0.0.1:6007';

export interface GatewayTarget {
  url: string;
  token: string;
  /**
   * Where the token came from. `cli-login` is this CLI's own operator device (`viber login
   * --operator`): its sockets must be signed with the CLI's device key (config/cli-device.json).
   */
  tokenSource: 'flag' | 'env' | 'local' | 'cli-login';
}

/** Flags every REST command takes. */
export interface ClientFlags {
  gateway?: string;
  token?: string;
  json?: boolean;
}

/** The gateway's URL from --gateway / OPENVIBER_GATEWAY_URL, default the local `viber up`. */
export function resolveGatewayUrl(flags: { gateway?: string }, env: NodeJS.ProcessEnv = process.env): string {
  const url = (flags.gateway ?? env.OPENVIBER_GATEWAY_URL ?? DEFAULT_GATEWAY_URL).replace(/\/+$/, '');
  if (!/^https?:\/\/[^\s/]+/.test(url))
    throw new CliError(`gateway URL must start with http:// or https://, got "${url}"`, 2);
  return url;
}

/**
 * Where the CLI's REST commands go, and with which token, first found wins: --token,
 * OPENVIBER_OPERATOR_TOKEN, the operator token file of a gateway on this machine, then this CLI's
 * own operator device (`viber login --operator`, config/cli-credentials.json), whose token only
 * ever goes to the gateway that issued it (that gateway is also the default URL then).
 */
export function resolveGatewayTarget(
  home: OpenViberHome,
  flags: { gateway?: string; token?: string },
  env: NodeJS.ProcessEnv = process.env,
): GatewayTarget {
  const tokenFile = join(home.gateway, 'operator-token');
  if (flags.token) return { url: resolveGatewayUrl(flags, env), token: flags.token, tokenSource: 'flag' };
  if (env.OPENVIBER_OPERATOR_TOKEN) {
    return { url: resolveGatewayUrl(flags, env), token: env.OPENVIBER_OPERATOR_TOKEN, tokenSource: 'env' };
  }
  const local = existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : '';
  if (local) return { url: resolveGatewayUrl(flags, env), token: local, tokenSource: 'local' };
  const login = readCliCredentials(home);
  const explicit = flags.gateway ?? env.OPENVIBER_GATEWAY_URL;
  if (login && (explicit === undefined || sameGateway(resolveGatewayUrl(flags, env), login.server))) {
    return { url: login.server.replace(/\/+$/, ''), token: login.token, tokenSource: 'cli-login' };
  }
  const elsewhere = login ? ` (${cliCredentialsPath(home)} holds a token for ${login.server} only)` : '';
  throw new CliError(
    `no operator token: pass --token, set OPENVIBER_OPERATOR_TOKEN, run this on the gateway's machine (it keeps ${tokenFile}), or pair this CLI with viber login --operator --server URL${elsewhere}`,
    2,
  );
}

export function addClientOptions<C extends { option(flags: string, description: string): C }>(command: C): C {
  return command
    .option('--gateway <url>', 'gateway URL (default OPENVIBER_GATEWAY_URL or http://127.0.0.1:6007)')
    .option('--token <token>', 'operator token (default OPENVIBER_OPERATOR_TOKEN or the local token file)')
    .option('--json', 'print JSON');
}

/**
 * The one typed client (src/client) pointed at the target: commands call routes by name and get
 * answers checked against the route table; a failure is a GatewayClientError, which main.ts
 * prints as the CLI's one line.
 */
export function clientFromFlags(flags: ClientFlags, home: OpenViberHome): GatewayClient {
  const target = resolveGatewayTarget(home, flags);
  return createGatewayClient({ baseUrl: target.url, token: target.token });
}

/**
 * The terminal socket of the target. Its connect handshake is signed with the CLI's own device
 * key when the token is the CLI's own (`viber login --operator`: the gateway binds that token to
 * that key); any other token is a keyless device's (the operator token), for which the client
 * makes a key for the one connection.
 */
export function connectTerminalFromFlags(
  flags: ClientFlags,
  home: OpenViberHome,
  options: ConnectTerminalOptions = {},
): Promise<TerminalConnection> {
  const target = resolveGatewayTarget(home, flags);
  const client = createGatewayClient({ baseUrl: target.url, token: target.token });
  if (target.tokenSource !== 'cli-login') return client.connectTerminal(options);
  let identity: ReturnType<typeof loadOrCreateDeviceKey>;
  try {
    identity = loadOrCreateDeviceKey(cliDeviceKeyPath(home));
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  return client.connectTerminal({ ...options, identity });
}
