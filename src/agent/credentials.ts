import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConfigFile } from '../core/config.ts';
import type { OpenViberHome } from '../core/home.ts';

/**
 * OpenViber's own credentials on a viber, and how they are kept from the commands the agent runs
 * (a prompt-injected task would otherwise read them and gain operator access). Three layers:
 * tool processes get an allow-listed environment (toolProcessEnvironment), the folders that hold
 * credentials are hidden from them (credentialFolders, through command-sandbox.ts), and every value
 * known here is redacted from tool output as a backstop (knownCredentials).
 */

/** Folders under the home that hold credentials: the gateway's database and keys, the daemon's
 * token (and device keys), and config.json, which may carry provider keys. */
export function credentialFolders(home: OpenViberHome): string[] {
  return [home.gateway, home.daemon, home.config];
}

/** Always passed to tool processes: what programs need to behave normally, nothing secret. */
const BASE_VARIABLES = new Set([
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LANGUAGE',
  'TERM',
  'COLORTERM',
  'TZ',
  'TMPDIR',
]);

/**
 * The environment of the processes tools start: an allow-list of the daemon's variables (the base
 * set, LC_*, and the names config.agent.env lists), then the task environment's own variables and
 * secrets. Anything else the daemon was started with (model and search keys, tokens, the master
 * key, whatever the user exported) stays out.
 */
export function toolProcessEnvironment(
  daemonEnv: NodeJS.ProcessEnv,
  passNames: readonly string[] = [],
  taskVariables: Readonly<Record<string, string>> = {},
): NodeJS.ProcessEnv {
  const allowed = new Set([...BASE_VARIABLES, ...passNames]);
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(daemonEnv)) {
    if (value !== undefined && (allowed.has(key) || key.startsWith('LC_'))) env[key] = value;
  }
  return { ...env, ...taskVariables };
}

/** Names that look like credentials: their values are redacted wherever tool output goes. */
const CREDENTIAL_NAME = /(API_KEY|TOKEN|SECRET|PASSWORD|MASTER_KEY|CREDENTIALS?)$/i;

/**
 * The daemon's environment without any credential-like variable: for the daemon's own trusted
 * programs (git cloning an environment's repository), never for what the agent runs.
 */
export function withoutCredentials(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([key]) => !CREDENTIAL_NAME.test(key)));
}

/**
 * Every credential value this viber can know of, by a name that says what it was: variables with
 * credential-like names, provider keys in config.json, and the files under the home (the operator
 * token and master key when the gateway shares the home, as under `viber up`; the daemon's token).
 */
export function knownCredentials(
  home: OpenViberHome,
  env: NodeJS.ProcessEnv,
  config: ConfigFile,
): Record<string, string> {
  const found: Record<string, string> = {};
  const add = (name: string, value: string | undefined) => {
    const trimmed = value?.trim();
    if (trimmed && trimmed.length >= 8) found[name] = trimmed;
  };
  for (const [key, value] of Object.entries(env)) if (CREDENTIAL_NAME.test(key)) add(key, value);
  for (const [provider, settings] of Object.entries(config.providers ?? {}))
    add(`providers.${provider}.apiKey`, settings?.apiKey);
  add('operator token', readText(join(home.gateway, 'operator-token')));
  add('master key', readText(join(home.gateway, 'master-key')));
  add('viber token', readDaemonToken(home));
  return found;
}

function readText(path: string): string | undefined {
  // Usually absent (a daemon without the gateway's home): no exception to build, every task.
  if (!existsSync(path)) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function readDaemonToken(home: OpenViberHome): string | undefined {
  const text = readText(join(home.daemon, 'credentials.json'));
  if (!text) return undefined;
  try {
    const token = (JSON.parse(text) as { token?: unknown }).token;
    return typeof token === 'string' ? token : undefined;
  } catch {
    return undefined;
  }
}
