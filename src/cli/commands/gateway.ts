import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { Command } from 'commander';
import { type ConfigFile, loadConfig } from '../../core/config.ts';
import { OpenViberError } from '../../core/errors.ts';
import { resolveHome } from '../../core/home.ts';
import { startGateway } from '../../gateway/index.ts';
import { CliError, parseIntegerOption } from '../cli-error.ts';
import { findPortHolder, portInUseMessage } from '../port-holder.ts';
import { onShutdown } from '../shutdown.ts';

export const DEFAULT_GATEWAY_PORT = 6007;

export interface GatewayFlags {
  host: string;
  port: number;
  heartbeatInterval?: number;
  grace?: number;
  tlsCert?: string;
  tlsKey?: string;
  /** False with --no-auto-approve: a daemon on this machine waits for approval like any other. */
  autoApprove?: boolean;
  /** Several gateways: the shared PostgreSQL store and the Redis bus (docs/deploy.md). */
  store?: string;
  bus?: string;
  /** Where chat platforms and people reach the gateway (docs/channels.md); default OPENVIBER_PUBLIC_URL. */
  publicUrl?: string;
}

/** Options shared by `viber gateway` and `viber up`. */
export function addGatewayOptions(command: Command): Command {
  return command
    .option('--host <host>', 'interface to bind', '127.0.0.1')
    .option(
      '--port <port>',
      'port to bind (0 picks a free one)',
      parseIntegerOption('--port', 0, 65535),
      DEFAULT_GATEWAY_PORT,
    )
    .option(
      '--heartbeat-interval <ms>',
      'heartbeat interval daemons are told to use',
      parseIntegerOption('--heartbeat-interval', 100, 3_600_000),
    )
    .option(
      '--grace <ms>',
      'how long an offline viber has to come back before its running tasks fail',
      parseIntegerOption('--grace', 0, 86_400_000),
    )
    .option(
      '--tls-cert <file>',
      'serve https and wss with this certificate (PEM, chain after it); needs --tls-key',
    )
    .option('--tls-key <file>', 'the private key (PEM) of --tls-cert')
    .option(
      '--no-auto-approve',
      'make a new daemon connecting from this machine (loopback) wait for an operator to approve it, like any other',
    )
    .option(
      '--store <url>',
      'the store several gateways share: postgres://user:password@host:5432/db (default: OPENVIBER_STORE_URL, else gateway.store in config.json, else the embedded store in the home)',
    )
    .option(
      '--bus <url>',
      'the bus between gateways: redis://host:6379 (default: OPENVIBER_BUS_URL, else gateway.bus in config.json, else in-process); needs --store',
    )
    .option(
      '--public-url <url>',
      "the gateway's URL as chat platforms and people reach it (behind a proxy or tunnel): channel webhook URLs and task links in answers (default: OPENVIBER_PUBLIC_URL, else the URL it listens on)",
    );
}

/** `--public-url`: an http(s) URL without a query or fragment (webhook paths are appended to it). */
export function publicUrlFlag(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CliError(`--public-url ${value}: not a URL; give https://viber.example.com`, 2);
  }
  if (!/^https?:$/.test(url.protocol) || url.search || url.hash)
    throw new CliError(`--public-url ${value}: give an http(s) URL without a query or fragment`, 2);
  return value.replace(/\/+$/, '');
}

/** `--store` and `--bus` (or their variables), checked for their scheme before anything starts. */
export function sharedStateFlags(
  flags: Pick<GatewayFlags, 'store' | 'bus'>,
  config: ConfigFile['gateway'] = {},
): { store?: string; bus?: string } {
  const store = flags.store ?? (process.env.OPENVIBER_STORE_URL?.trim() || config.store);
  const bus = flags.bus ?? (process.env.OPENVIBER_BUS_URL?.trim() || config.bus);
  if (store && !/^postgres(ql)?:\/\//.test(store))
    throw new CliError('--store: give a PostgreSQL URL, postgres://user:password@host:5432/database', 2);
  if (bus && !/^rediss?:\/\//.test(bus))
    throw new CliError('--bus: give a Redis URL, redis://host:6379 (rediss:// for TLS)', 2);
  if (bus && !store)
    throw new CliError(
      '--bus joins gateways that share a PostgreSQL store: give --store postgres://... as well',
      2,
    );
  return { ...(store ? { store } : {}), ...(bus ? { bus } : {}) };
}

/**
 * The certificate and key of `--tls-cert`/`--tls-key` as PEM text, checked before anything starts:
 * both or neither, each file readable, a certificate, a private key, and the key of that
 * certificate. Every refusal is one line naming the flag and the file (exit 2).
 */
export function readTlsFlags(
  flags: Pick<GatewayFlags, 'tlsCert' | 'tlsKey'>,
): { cert: string; key: string } | undefined {
  const { tlsCert, tlsKey } = flags;
  if (tlsCert === undefined && tlsKey === undefined) return undefined;
  if (tlsCert === undefined || tlsKey === undefined) {
    throw new CliError('--tls-cert and --tls-key go together: give both or neither', 2);
  }
  const cert = readFlagFile('--tls-cert', tlsCert);
  const key = readFlagFile('--tls-key', tlsKey);
  try {
    new X509Certificate(cert);
  } catch (error) {
    throw new CliError(`--tls-cert ${tlsCert}: not a PEM certificate (${(error as Error).message})`, 2);
  }
  try {
    createPrivateKey(key);
  } catch (error) {
    throw new CliError(`--tls-key ${tlsKey}: not a PEM private key (${(error as Error).message})`, 2);
  }
  try {
    createSecureContext({ cert, key });
  } catch (error) {
    throw new CliError(
      `--tls-cert ${tlsCert} and --tls-key ${tlsKey} do not make a usable pair (${(error as Error).message})`,
      2,
    );
  }
  return { cert, key };
}

function readFlagFile(flag: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(`${flag} ${path}: ${(error as Error).message}`, 2);
  }
}

export async function runGateway(flags: GatewayFlags) {
  const home = resolveHome();
  const tls = readTlsFlags(flags);
  const shared = sharedStateFlags(flags, loadConfig(home).gateway);
  const publicUrl = publicUrlFlag(flags.publicUrl);
  const started = startGateway({
    home,
    ...shared,
    ...(publicUrl ? { publicUrl } : {}),
    host: flags.host,
    port: flags.port,
    ...(tls ? { tls } : {}),
    ...(process.env.OPENVIBER_OPERATOR_TOKEN ? { operatorToken: process.env.OPENVIBER_OPERATOR_TOKEN } : {}),
    ...(flags.heartbeatInterval ? { heartbeatIntervalMs: flags.heartbeatInterval } : {}),
    ...(flags.grace !== undefined ? { taskGraceMs: flags.grace } : {}),
    ...(flags.autoApprove === false ? { autoApproveLoopbackNodes: false } : {}),
  });
  return started.catch((error: unknown) => {
    // The usual first-run stumble: a gateway (or anything else) already has the port.
    if (OpenViberError.isInstance(error) && /EADDRINUSE/.test(error.message))
      throw new CliError(portInUseMessage(flags.host, flags.port, findPortHolder(flags.port)));
    throw error;
  });
}

export function registerGatewayCommand(program: Command): void {
  addGatewayOptions(
    program
      .command('gateway')
      .description('run the gateway: REST API, SSE task streams and the daemon WebSocket'),
  ).action(async (flags: GatewayFlags) => {
    const gateway = await runGateway(flags);
    process.stdout.write(`OpenViber gateway listening on ${gateway.url}\n`);
    process.stdout.write(`daemons connect to ${gateway.wsUrl}\n`);
    if (gateway.operatorTokenGenerated) {
      process.stdout.write(
        `operator token (created now, kept in ${resolveHome().gateway}/operator-token): ${gateway.operatorToken}\n`,
      );
    }
    onShutdown(() => gateway.close());
  });
}
