import { existsSync, readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import type { OpenViberHome } from '../core/home.ts';
import { daemonCredentialsPath, daemonKeyPath, saveDaemonCredentials } from '../daemon/device-credentials.ts';
import { describeZodError } from '../protocol/index.ts';
import { CliError } from './cli-error.ts';

/**
 * How a daemon reaches its gateway; kept in daemon/credentials.json (mode 0600) under the home,
 * beside its device key (daemon/device.json). `viber login` writes all three fields; the viber id
 * and token may also come from flags or the environment (a viber token from `viber vibers add`).
 */
export const DaemonCredentialsSchema = z.strictObject({
  server: z.string().regex(/^wss?:\/\/\S+$/, 'must be a ws:// or wss:// URL'),
  viberId: z.string().min(1).optional(),
  token: z.string().min(1).optional(),
});
export type DaemonCredentials = z.infer<typeof DaemonCredentialsSchema>;

/** What `viber start` runs with: a token always; the viber id unless the gateway is to say it. */
export interface ResolvedCredentials {
  server: string;
  viberId?: string;
  token: string;
}

export function credentialsPath(home: OpenViberHome): string {
  return daemonCredentialsPath(home);
}

/** The daemon's device key file (made on first use). */
export function deviceKeyPath(home: OpenViberHome): string {
  return daemonKeyPath(home);
}

export function readCredentials(home: OpenViberHome): Partial<DaemonCredentials> {
  const path = credentialsPath(home);
  if (!existsSync(path)) return {};
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new CliError(`${path}: invalid JSON: ${(error as Error).message}`);
  }
  const parsed = DaemonCredentialsSchema.partial().safeParse(data);
  if (!parsed.success) throw new CliError(`${path}: ${describeZodError(parsed.error)}`);
  return parsed.data;
}

/** Writes credentials.json (0600), replacing it whole. */
export function writeCredentials(home: OpenViberHome, credentials: DaemonCredentials): void {
  saveDaemonCredentials(home, credentials);
}

/**
 * Flags, then environment, then the credentials file; every missing piece named in one message.
 * A token is needed (from `viber login`, or a viber token); the viber id may be left out when
 * there is a token, and the gateway says which viber it belongs to.
 */
export function resolveCredentials(
  home: OpenViberHome,
  flags: { server?: string; id?: string; token?: string },
  env: NodeJS.ProcessEnv = process.env,
): ResolvedCredentials {
  const stored = readCredentials(home);
  const candidate = {
    server: flags.server ?? env.OPENVIBER_SERVER ?? stored.server,
    viberId: flags.id ?? env.OPENVIBER_VIBER_ID ?? stored.viberId,
    token: flags.token ?? env.OPENVIBER_VIBER_TOKEN ?? stored.token,
  };
  const missing = [
    candidate.server ? '' : '--server (or OPENVIBER_SERVER)',
    candidate.viberId || candidate.token ? '' : '--id (or OPENVIBER_VIBER_ID)',
    candidate.token ? '' : '--token-file or --token (or OPENVIBER_VIBER_TOKEN)',
  ].filter(Boolean);
  if (missing.length > 0) {
    throw new CliError(
      `missing ${missing.join(', ')}. Pair this machine with the gateway (viber login --server URL), or register a viber on it (viber vibers add NAME) to get an id and token.`,
      2,
    );
  }
  const parsed = DaemonCredentialsSchema.safeParse(candidate);
  if (!parsed.success) throw new CliError(describeZodError(parsed.error), 2);
  return { ...parsed.data, token: parsed.data.token! };
}

/** Where `--token` may come from besides its literal value. */
export interface TokenFlags {
  token?: string;
  tokenFile?: string;
}

export interface TokenSources {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  warn(line: string): void;
}

/**
 * The viber token from `--token-file PATH` or `--token -` (one line of standard input), or the
 * literal `--token T` with a warning: a command line is readable by every local user
 * (`/proc/<pid>/cmdline`, `ps`) for as long as the daemon runs. Undefined when neither is given,
 * so the environment and the credentials file still apply.
 */
export async function tokenFromFlags(flags: TokenFlags, sources: TokenSources): Promise<string | undefined> {
  if (flags.token !== undefined && flags.tokenFile !== undefined) {
    throw new CliError('--token and --token-file cannot be used together', 2);
  }
  if (flags.tokenFile !== undefined) return readTokenFile(flags.tokenFile, sources.warn);
  if (flags.token === '-') {
    if (sources.stdin.isTTY) sources.warn('viber token: ');
    const token = await readFirstLine(sources.stdin);
    if (!token) throw new CliError('--token -: no token on standard input', 2);
    return token;
  }
  if (flags.token !== undefined) {
    sources.warn(
      'viber: warning: --token puts the token on the command line, where every user of this machine can read it (ps, /proc/<pid>/cmdline); use --token-file PATH, --token - (standard input) or OPENVIBER_VIBER_TOKEN instead\n',
    );
  }
  return flags.token;
}

function readTokenFile(path: string, warn: (line: string) => void): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(
      `--token-file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      2,
    );
  }
  const token = text.split(/\r?\n/, 1)[0]!.trim();
  if (!token) throw new CliError(`--token-file ${path} is empty`, 2);
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    warn(`viber: warning: ${path} is readable by other users (mode 0${mode.toString(8)}); chmod 600 it\n`);
  }
  return token;
}

/** The first line of a stream (without its line ending); stops reading there. */
async function readFirstLine(input: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of input) {
    text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (text.includes('\n')) break;
  }
  return text.split(/\r?\n/, 1)[0]!.trim();
}
