import { execFile } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { OpenViberError } from '../../core/errors.ts';
import { ensureDir, type OpenViberHome, skillsDir } from '../../core/home.ts';
import { isInside } from '../tools/path-guard.ts';
import { discoverSkills, skillRoots } from './discover-skills.ts';
import { type InstallRecord, writeInstallRecord } from './install-record.ts';
import { loadSkill, looksLikeSkill, type Skill } from './load-skill.ts';
import type { SkillProblem } from './skill-file.ts';

const run = promisify(execFile);

/** A skill name is also a folder name: nothing else may reach the file system. */
const SKILL_NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** Refused because a skill to install is invalid: each problem names its file and line. */
export class SkillInstallError extends Error {
  readonly problems: SkillProblem[];

  constructor(message: string, problems: SkillProblem[]) {
    super(message);
    this.name = 'SkillInstallError';
    this.problems = problems;
  }
}

/** `https://…`, `ssh://…`, `git://…`, `file://…`, `git@host:path` or anything ending in `.git`. */
export function isGitUrl(source: string): boolean {
  return (
    /^(https?|ssh|git|file):\/\//.test(source) ||
    /^[\w.-]+@[\w.-]+:/.test(source) ||
    (source.endsWith('.git') && !existsSync(source))
  );
}

export interface InstallInput {
  home: OpenViberHome;
  /** A folder or a git URL. */
  source: string;
  /** The folder inside the source that holds the skill (a hub entry's `path`). */
  path?: string;
  /** Only this skill of a source that holds several. */
  skill?: string;
  /** Recorded as the installed version (a hub entry's); else the skill's `metadata.version`. */
  version?: string;
  /** The hub index the source came from. */
  hub?: string;
  /** Replace a skill of the same name already installed. */
  force?: boolean;
  env?: NodeJS.ProcessEnv;
}

export interface InstalledSkill {
  name: string;
  directory: string;
  record: InstallRecord;
}

/**
 * Installs the skills of a folder or a git repository (cloned with `git clone`) into the home's
 * `skills/`: a skill folder, or every skill under its `skills/` (or at its top level), or only
 * `skill`. Everything is validated before anything is copied; an invalid skill installs nothing.
 */
export async function installSkills(input: InstallInput): Promise<InstalledSkill[]> {
  const work = mkdtempSync(join(tmpdir(), 'openviber-skill-'));
  try {
    const fetched: { root: string; commit?: string } = isGitUrl(input.source)
      ? await cloneSource(input.source, join(work, 'clone'), input.env)
      : { root: localFolder(input.source) };
    const shown = (path: string) => `${input.source.replace(/\/+$/, '')}/${relative(fetched.root, path)}`;
    const base = input.path ? resolve(fetched.root, input.path) : fetched.root;
    if (!isInside(base, fetched.root) || !existsSync(base)) {
      throw new OpenViberError('bad_request', `${input.path} is not a folder inside ${input.source}`);
    }
    const candidates = skillFoldersIn(base, input.skill, input.source);
    const realRoot = realpathSync(fetched.root);
    const loaded = candidates.map((folder) => loadSkill(folder, 'home', realRoot));
    const problems = loaded.flatMap((load) =>
      load.ok ? [] : load.problems.map((problem) => ({ ...problem, file: shown(problem.file) })),
    );
    if (problems.length > 0) {
      throw new SkillInstallError(`not installed: ${input.source} has an invalid skill`, problems);
    }
    const skills = loaded.flatMap((load) => (load.ok ? [load.skill] : []));
    const target = ensureDir(skillsDir(input.home));
    if (!input.force) {
      const taken = skills.filter((skill) => existsSync(join(target, skill.name)));
      if (taken.length > 0) {
        throw new OpenViberError(
          'conflict',
          `already installed: ${taken.map((skill) => skill.name).join(', ')} (add --force to replace)`,
          409,
        );
      }
    }
    return skills.map((skill) => {
      const version = input.version ?? skill.manifest.metadata.version;
      const record: InstallRecord = {
        source: input.source,
        ...(input.path || skill.directory !== realRoot
          ? { path: relative(realRoot, skill.directory) || '.' }
          : {}),
        ...(version ? { version } : {}),
        ...(fetched.commit ? { commit: fetched.commit } : {}),
        ...(input.hub ? { hub: input.hub } : {}),
        installedAt: new Date().toISOString(),
      };
      const directory = placeSkill(skill, target, record);
      return { name: skill.name, directory, record };
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Copies into a hidden folder beside the target, then swaps it in: never half a skill. */
function placeSkill(skill: Skill, target: string, record: InstallRecord): string {
  const destination = join(target, skill.name);
  const staging = join(target, `.${skill.name}.installing-${process.pid}-${Date.now()}`);
  try {
    copySkillFolder(skill.directory, staging);
    writeInstallRecord(staging, record);
    rmSync(destination, { recursive: true, force: true });
    renameSync(staging, destination);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  return destination;
}

/**
 * Copies a skill folder without `.git`. A symbolic link is copied as the file or folder it points
 * to when that is inside the skill; one pointing outside is refused.
 */
function copySkillFolder(from: string, to: string): void {
  mkdirSync(to, { recursive: true, mode: 0o700 });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    if (entry.name === '.git') continue;
    const source = join(from, entry.name);
    const destination = join(to, entry.name);
    let real = source;
    if (entry.isSymbolicLink()) {
      real = realpathSync(source);
      if (!isInside(real, from)) {
        throw new OpenViberError('bad_request', `${source} is a symbolic link to ${real}, outside the skill`);
      }
    }
    const info = statSync(real);
    if (info.isDirectory()) copySkillFolder(real, destination);
    else if (info.isFile()) {
      copyFileSync(real, destination);
      // Private to the viber's user, as everything under the home; a program stays runnable.
      chmodSync(destination, info.mode & 0o111 ? 0o700 : 0o600);
    }
  }
}

/** The folders of the skills to install under `base`. */
function skillFoldersIn(base: string, only: string | undefined, source: string): string[] {
  if (only !== undefined && !SKILL_NAME.test(only)) {
    throw new OpenViberError('bad_request', `--skill ${only} is not a valid skill name`);
  }
  if (looksLikeSkill(base)) {
    const folder = base.split(sep).pop();
    if (only !== undefined && folder !== only) {
      throw new OpenViberError('not_found', `${source} is the skill ${folder}, not ${only}`, 404);
    }
    return [base];
  }
  const container = existsSync(join(base, 'skills')) ? join(base, 'skills') : base;
  const folders = readdirSync(container)
    .filter((name) => !name.startsWith('.') && looksLikeSkill(join(container, name)))
    .sort();
  if (folders.length === 0) {
    throw new OpenViberError(
      'not_found',
      `no skill in ${source}: expected a SKILL.md, or folders with one under skills/`,
      404,
    );
  }
  if (only === undefined) return folders.map((name) => join(container, name));
  if (!folders.includes(only)) {
    throw new OpenViberError(
      'not_found',
      `no skill ${only} in ${source} (it has ${folders.join(', ')})`,
      404,
    );
  }
  return [join(container, only)];
}

function localFolder(source: string): string {
  const path = resolve(source);
  let directory = false;
  try {
    directory = statSync(path).isDirectory();
  } catch {
    // reported below
  }
  if (!directory) {
    throw new OpenViberError('not_found', `${source} is not a folder, a git URL or a skill in the hub`, 404);
  }
  return path;
}

/** A shallow `git clone` without prompts; the commit it got is recorded. */
async function cloneSource(
  url: string,
  destination: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ root: string; commit: string }> {
  const gitEnv = { ...env, GIT_TERMINAL_PROMPT: '0' };
  try {
    await run('git', ['clone', '--quiet', '--depth', '1', '--', url, destination], {
      env: gitEnv,
      timeout: 120_000,
    });
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? (error as Error).message).trim();
    throw new OpenViberError('bad_request', `git clone ${url} failed: ${stderr.split('\n').pop()}`);
  }
  const { stdout } = await run('git', ['-C', destination, 'rev-parse', 'HEAD'], { env: gitEnv });
  return { root: destination, commit: stdout.trim() };
}

/**
 * Removes a skill from the home's `skills/`. A bundled skill, or one of a project, is not the
 * home's to remove: the error says where it is.
 */
export function removeSkill(home: OpenViberHome, name: string, bundledDir?: string): string {
  if (!SKILL_NAME.test(name)) throw new OpenViberError('bad_request', `${name} is not a valid skill name`);
  const directory = join(skillsDir(home), name);
  if (existsSync(directory)) {
    rmSync(directory, { recursive: true, force: true });
    return directory;
  }
  const elsewhere = discoverSkills(skillRoots({ home, ...(bundledDir ? { bundledDir } : {}) })).skills.find(
    (skill) => skill.name === name,
  );
  if (elsewhere) {
    throw new OpenViberError(
      'bad_request',
      `${name} is a ${elsewhere.scope} skill (${elsewhere.directory}); only the skills in ${skillsDir(home)} can be removed`,
    );
  }
  throw new OpenViberError('not_found', `no skill ${name} in ${skillsDir(home)}`, 404);
}
