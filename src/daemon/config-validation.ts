import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { describeFileIsolation, type SandboxCapabilities } from '../agent/command-sandbox.ts';
import { chromiumStatus } from '../agent/tools/browser/index.ts';
import { type ConfigFile, configPath, resolveModelSettings } from '../core/config.ts';
import type { OpenViberHome } from '../core/home.ts';
import type { ConfigValidation } from '../protocol/index.ts';

/** Programs the daemon's tools and terminals rely on. */
export const REQUIRED_BINARIES = ['bash', 'git', 'tmux'] as const;

export interface ConfigCheckInput {
  home: OpenViberHome;
  /** The configuration in force (already loaded and validated). */
  config: ConfigFile;
  env: NodeJS.ProcessEnv;
  /** Why config.json could not be loaded, when it could not: reported instead of the key check. */
  loadError?: string;
  /** What the machine can enforce around commands: reported as the `sandbox` check. */
  sandbox?: SandboxCapabilities;
  /** The check of the viber's skills (src/agent/skills/viber-skills.ts); `unchecked` without it. */
  skills?: Omit<ConfigValidation, 'checkedAt'>;
  /** The model as resolved from every layer, the gateway's settings included (default: config.json and env). */
  model?: ReturnType<typeof resolveModelSettings>;
}

export interface ConfigCheckResult {
  configVersion: string;
  validations: ConfigValidation[];
}

/**
 * Answers `config:push`: the version of the configuration file and one validation per category.
 * OAuth and environment secrets are `unchecked` until those features exist; skills without a check.
 */
export async function checkConfig(input: ConfigCheckInput): Promise<ConfigCheckResult> {
  const checkedAt = new Date().toISOString();
  const [configVersion, missing] = await Promise.all([
    configVersionOf(input.home),
    findMissingBinaries(REQUIRED_BINARIES, input.env.PATH ?? ''),
  ]);
  const validations: ConfigValidation[] = [
    { ...checkModelKeys(input), checkedAt },
    missing.length === 0
      ? {
          category: 'binary_deps',
          status: 'verified',
          message: `found ${REQUIRED_BINARIES.join(', ')}; ${browserLine(input.env)}`,
          checkedAt,
        }
      : {
          category: 'binary_deps',
          status: 'failed',
          message: `missing on PATH: ${missing.join(', ')}; ${browserLine(input.env)}`,
          checkedAt,
        },
    ...(input.sandbox ? [{ ...sandboxCheck(input.sandbox), checkedAt }] : []),
    input.skills ? { ...input.skills, checkedAt } : { category: 'skills', status: 'unchecked', checkedAt },
    { category: 'oauth', status: 'unchecked', checkedAt },
    { category: 'env_secrets', status: 'unchecked', checkedAt },
  ];
  return { configVersion, validations };
}

/** The browser capability, said either way (docs/browser.md). */
function browserLine(env: NodeJS.ProcessEnv): string {
  const chromium = chromiumStatus(env);
  return chromium.available
    ? `browser: Chromium at ${chromium.path}`
    : `browser unavailable: ${chromium.reason}`;
}

/** Whether the agent's commands can read OpenViber's credentials, said plainly either way. */
function sandboxCheck(sandbox: SandboxCapabilities): Omit<ConfigValidation, 'checkedAt'> {
  const isolation = describeFileIsolation(sandbox.fileIsolation);
  return { category: 'sandbox', status: isolation.ok ? 'verified' : 'failed', message: isolation.message };
}

/** The model settings resolve (model chosen, key or base URL present). Never echoes a key. */
function checkModelKeys(input: ConfigCheckInput): Omit<ConfigValidation, 'checkedAt'> {
  if (input.loadError)
    return { category: 'llm_keys', status: 'failed', message: input.loadError.slice(0, 2000) };
  const resolved = input.model ?? resolveModelSettings(input.config, input.env);
  if (!resolved.ok)
    return { category: 'llm_keys', status: 'failed', message: resolved.message.slice(0, 2000) };
  const { provider, modelId, apiKey } = resolved.settings;
  return {
    category: 'llm_keys',
    status: 'verified',
    message: `${provider}/${modelId} is configured${apiKey ? ' with an API key' : ''}`,
  };
}

/** sha256 of config.json as stored (the hash of an empty file when there is none): it changes
 * exactly when the file does, and reveals nothing about the secrets in it. */
export async function configVersionOf(home: OpenViberHome): Promise<string> {
  let content: Buffer;
  try {
    content = await readFile(configPath(home));
  } catch {
    content = Buffer.alloc(0);
  }
  return createHash('sha256').update(content).digest('hex');
}

/** The names not found as executables in any PATH directory. */
export async function findMissingBinaries(names: readonly string[], pathVariable: string): Promise<string[]> {
  const directories = pathVariable.split(delimiter).filter((directory) => directory.length > 0);
  const found = await Promise.all(names.map((name) => isOnPath(name, directories)));
  return names.filter((_, index) => !found[index]);
}

async function isOnPath(name: string, directories: string[]): Promise<boolean> {
  for (const directory of directories) {
    try {
      await access(join(directory, name), constants.X_OK);
      return true;
    } catch {
      // Not in this directory; try the next.
    }
  }
  return false;
}
