import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ensureDir, type OpenViberHome } from '../core/home.ts';
import { describeZodError } from '../protocol/index.ts';
import { CliError } from './cli-error.ts';

/**
 * The CLI's own operator device (`viber login --operator`): its key in config/cli-device.json and
 * its token in config/cli-credentials.json, both mode 0600. REST commands use the token when no
 * --token, OPENVIBER_OPERATOR_TOKEN or local operator token file applies (gateway-client.ts), and
 * only for the gateway it was issued by.
 */
export const CliCredentialsSchema = z.strictObject({
  /** The gateway's http(s) URL. */
  server: z.string().regex(/^https?:\/\/\S+$/, 'must be an http:// or https:// URL'),
  token: z.string().min(1),
});
export type CliCredentials = z.infer<typeof CliCredentialsSchema>;

export function cliDeviceKeyPath(home: OpenViberHome): string {
  return join(home.config, 'cli-device.json');
}

export function cliCredentialsPath(home: OpenViberHome): string {
  return join(home.config, 'cli-credentials.json');
}

export function readCliCredentials(home: OpenViberHome): CliCredentials | undefined {
  const path = cliCredentialsPath(home);
  if (!existsSync(path)) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new CliError(`${path}: invalid JSON: ${(error as Error).message}`);
  }
  const parsed = CliCredentialsSchema.safeParse(data);
  if (!parsed.success) throw new CliError(`${path}: ${describeZodError(parsed.error)}`);
  return parsed.data;
}

/** Writes cli-credentials.json (0600) whole, through a temporary file. */
export function writeCliCredentials(home: OpenViberHome, credentials: CliCredentials): void {
  ensureDir(home.config);
  const path = cliCredentialsPath(home);
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, path);
}

/** Whether two gateway URLs name the same gateway (scheme, host, port and path prefix). */
export function sameGateway(a: string, b: string): boolean {
  const normalise = (url: string) => url.replace(/\/+$/, '').toLowerCase();
  return normalise(a) === normalise(b);
}
