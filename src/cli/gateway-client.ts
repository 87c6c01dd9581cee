import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OpenViberHome } from '../core/home.ts';
import { ErrorBodySchema } from '../protocol/index.ts';
import { CliError } from './cli-error.ts';

export const DEFAULT_GATEWAY_URL = 'http://127.0.0.1:6007';

export interface GatewayTarget {
  url: string;
  token: string;
}

/**
 * Where the CLI's REST commands go: --gateway / OPENVIBER_GATEWAY_URL (default the local `viber up`),
 * with --token / OPENVIBER_OPERATOR_TOKEN or, for a gateway on this machine, the token file it wrote.
 */
export function resolveGatewayTarget(
  home: OpenViberHome,
  flags: { gateway?: string; token?: string },
  env: NodeJS.ProcessEnv = process.env,
): GatewayTarget {
  const url = (flags.gateway ?? env.OPENVIBER_GATEWAY_URL ?? DEFAULT_GATEWAY_URL).replace(/\/+$/, '');
  if (!/^https?:\/\/[^\s/]+/.test(url))
    throw new CliError(`gateway URL must start with http:// or https://, got "${url}"`, 2);
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

export interface RequestOptions {
  method?: string;
  body?: unknown;
  idempotencyKey?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** A thin REST client: JSON in and out, the gateway's `{error:{code,message}}` turned into a CliError. */
export class GatewayClient {
  readonly target: GatewayTarget;

  constructor(target: GatewayTarget) {
    this.target = target;
  }

  async fetch(path: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.target.token}`,
      ...options.headers,
    };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
    try {
      return await fetch(`${this.target.url}${path}`, {
        method: options.method ?? 'GET',
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: options.signal,
      });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      throw new CliError(
        `cannot reach the gateway at ${this.target.url}: ${(error as Error).cause ?? (error as Error).message}`,
      );
    }
  }

  async request<T>(path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.fetch(path, options);
    const text = await response.text();
    const body: unknown = text ? safeJson(text) : undefined;
    if (!response.ok) {
      const parsed = ErrorBodySchema.safeParse(body);
      const detail = parsed.success
        ? `${parsed.data.error.message} (${parsed.data.error.code})`
        : text.slice(0, 300);
      throw new CliError(`gateway answered ${response.status}: ${detail}`);
    }
    return body as T;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Flags every REST command takes. */
export interface ClientFlags {
  gateway?: string;
  token?: string;
  json?: boolean;
}

export function addClientOptions<C extends { option(flags: string, description: string): C }>(command: C): C {
  return command
    .option('--gateway <url>', 'gateway URL (default OPENVIBER_GATEWAY_URL or http://127.0.0.1:6007)')
    .option('--token <token>', 'operator token (default OPENVIBER_OPERATOR_TOKEN or the local token file)')
    .option('--json', 'print JSON');
}

export function clientFromFlags(flags: ClientFlags, home: OpenViberHome): GatewayClient {
  return new GatewayClient(resolveGatewayTarget(home, flags));
}
