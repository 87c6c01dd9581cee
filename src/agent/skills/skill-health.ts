import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import type { SkillStatus } from '../../protocol/index.ts';
import type { SkillManifest } from './skill-file.ts';

/**
 * Whether a skill can work on this machine, from what it declares in `metadata` (the
 * specification's place for properties it does not define; `compatibility` is free text for
 * people and the model, and is not checked):
 *
 *   metadata:
 *     requires-bins: "git jq"        programs that must be on the PATH of the task's commands
 *     requires-env: "GITHUB_TOKEN"   variables the task's commands must get
 *     platforms: "linux darwin"      values of Node's process.platform it runs on
 *
 * Another `requires-*` key is a requirement OpenViber cannot check: the skill is UNKNOWN.
 */
export const REQUIREMENT_KEYS = {
  bins: 'requires-bins',
  env: 'requires-env',
  platforms: 'platforms',
} as const;

export interface SkillHealth {
  status: SkillStatus;
  /** One line: what was checked, or what is missing. */
  summary: string;
}

export interface HealthContext {
  /** The environment the task's commands get (the allow-list; PATH is searched for programs). */
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
}

const KNOWN = new Set<string>(Object.values(REQUIREMENT_KEYS));

export function checkSkillHealth(manifest: SkillManifest, context: HealthContext): SkillHealth {
  const words = (key: string) => (manifest.metadata[key] ?? '').split(/\s+/).filter(Boolean);
  const bins = words(REQUIREMENT_KEYS.bins);
  const variables = words(REQUIREMENT_KEYS.env);
  const platforms = words(REQUIREMENT_KEYS.platforms);
  const unknown = Object.keys(manifest.metadata).filter(
    (key) => key.startsWith('requires-') && !KNOWN.has(key),
  );

  const missing: string[] = [];
  const met: string[] = [];
  if (platforms.length > 0) {
    if (platforms.includes(context.platform)) met.push(`platform ${context.platform}`);
    else missing.push(`runs on ${platforms.join(', ')}, not ${context.platform}`);
  }
  if (bins.length > 0) {
    const directories = (context.env.PATH ?? '').split(delimiter).filter(Boolean);
    const absent = bins.filter((bin) => !isExecutable(bin, directories));
    if (absent.length > 0) missing.push(`missing on PATH: ${absent.join(', ')}`);
    else met.push(`found ${bins.join(', ')}`);
  }
  if (variables.length > 0) {
    const unset = variables.filter((name) => !context.env[name]);
    if (unset.length > 0) missing.push(`not set for commands: ${unset.join(', ')}`);
    else met.push(`${variables.join(', ')} set`);
  }
  if (missing.length > 0) return { status: 'NOT_AVAILABLE', summary: missing.join('; ') };
  if (unknown.length > 0) {
    return {
      status: 'UNKNOWN',
      summary: `cannot check ${unknown.join(', ')}${met.length > 0 ? `; ${met.join('; ')}` : ''}`,
    };
  }
  return { status: 'AVAILABLE', summary: met.length > 0 ? met.join('; ') : 'no requirements declared' };
}

function isExecutable(bin: string, directories: string[]): boolean {
  const candidates = isAbsolute(bin) ? [bin] : directories.map((directory) => join(directory, bin));
  return candidates.some((path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
