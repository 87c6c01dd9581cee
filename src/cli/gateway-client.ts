import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGatewayClient, type GatewayClient } from '../client/index.ts';
import type { OpenViberHome } from '../core/home.ts';
import { CliError } from './cli-error.ts';

export const DEFAULT_GATEWAY_URL = 'http://127.0.0.1:6007';

export interface GatewayTarget {
  url: string;
  token: string;
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
 * Where the CLI's REST commands go: the gateway's URL, with --token / OPENVIBER_OPERATOR_TOKEN or,
 * for a gateway on this machine, the token file it wrote.
 */
export function resolveGatewayTarget(
  home: OpenViberHome,
  flags: { gateway?: string; token?: string },
  env: NodeJS.ProcessEnv = process.env,
): GatewayTarget {
  const url = resolveGatewayUrl(flags, env);
  const tokenFile = join(home.gateway, 'operator-token');
  const token =
    flags.token ??
    env.OPENVIBER_OPERATOR_TOKEN ??
    (existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : '');
  if (!token) {
    throw new CliError(
      `no operator token: pass --token, set OPENVIBER_OPERATOR_TOKEN, or run this on the gateway's machine (it keeps ${tokenFile})`,
      2,
    );
  }
  return { url, token };
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
