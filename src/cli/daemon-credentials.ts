import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ensureDir, type OpenViberHome } from '../core/home.ts';
import { describeZodError } from '../protocol/index.ts';
import { CliError } from './cli-error.ts';

/** How a daemon reaches its gateway; kept in daemon/credentials.json (mode 0600) under the home. */
export const DaemonCredentialsSchema = z.strictObject({
  server: z.string().regex(/^wss?:\/\/\S+$/, 'must be a ws:// or wss:// URL'),
  viberId: z.string().min(1),
  token: z.string().min(1),
});
export type DaemonCredentials = z.infer<typeof DaemonCredentialsSchema>;

export function credentialsPath(home: OpenViberHome): string {
  return join(home.daemon, 'credentials.json');
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

export function writeCredentials(home: OpenViberHome, credentials: DaemonCredentials): void {
  ensureDir(home.daemon);
  writeFileSync(credentialsPath(home), `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
}

/** Flags, then environment, then the credentials file; every missing piece named in one message. */
export function resolveCredentials(
  home: OpenViberHome,
  flags: { server?: string; id?: string; token?: string },
  env: NodeJS.ProcessEnv = process.env,
): DaemonCredentials {
  const stored = readCredentials(home);
  const candidate = {
    server: flags.server ?? env.OPENVIBER_SERVER ?? stored.server,
    viberId: flags.id ?? env.OPENVIBER_VIBER_ID ?? stored.viberId,
    token: flags.token ?? env.OPENVIBER_VIBER_TOKEN ?? stored.token,
  };
  const missing = [
    candidate.server ? '' : '--server (or OPENVIBER_SERVER)',
    candidate.viberId ? '' : '--id (or OPENVIBER_VIBER_ID)',
    candidate.token ? '' : '--token (or OPENVIBER_VIBER_TOKEN)',
  ].filter(Boolean);
  if (missing.length > 0) {
    throw new CliError(
      `missing ${missing.join(', ')}. Register a viber on the gateway (viber vibers add NAME) to get an id and token.`,
      2,
    );
  }
  const parsed = DaemonCredentialsSchema.safeParse(candidate);
  if (!parsed.success) throw new CliError(describeZodError(parsed.error), 2);
  return parsed.data;
}
