import { lstatSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { isInside } from '../tools/path-guard.ts';
import {
  parseSkillFile,
  SKILL_FILE,
  SKILL_LIMITS,
  type SkillManifest,
  type SkillProblem,
} from './skill-file.ts';

/** Where a skill was found: the viber's home, the task's project, or shipped with OpenViber. */
export type SkillScope = 'home' | 'project' | 'bundled';

export interface Skill {
  name: string;
  description: string;
  manifest: SkillManifest;
  /** The instructions: SKILL.md after its frontmatter. */
  body: string;
  /** The skill's folder, every symbolic link resolved. */
  directory: string;
  /** Its SKILL.md. */
  file: string;
  scope: SkillScope;
}

export type SkillLoad =
  | { ok: true; skill: Skill }
  | { ok: false; folder: string; directory: string; scope: SkillScope; problems: SkillProblem[] };

/**
 * Reads and validates the skill in the folder `path`. `within` is the real path of the folder it
 * must stay inside (its skills folder): a skill folder, or a SKILL.md, that is a symbolic link to
 * somewhere else is refused, so a link cannot slip instructions in from anywhere on the machine.
 */
export function loadSkill(path: string, scope: SkillScope, within?: string): SkillLoad {
  try {
    return readSkill(path, scope, within);
  } catch (error) {
    // A folder that vanished or became unreadable half-way: one problem, never a crash.
    const problem = { file: path, message: `cannot read the skill: ${(error as Error).message}` };
    return { ok: false, folder: basename(path), directory: path, scope, problems: [problem] };
  }
}

function readSkill(path: string, scope: SkillScope, within: string | undefined): SkillLoad {
  const folder = basename(path);
  const fail = (problems: SkillProblem[], directory = path): SkillLoad => ({
    ok: false,
    folder,
    directory,
    scope,
    problems,
  });
  let directory: string;
  try {
    directory = realpathSync(path);
  } catch (error) {
    return fail([{ file: path, message: `cannot read the skill folder: ${(error as Error).message}` }]);
  }
  if (within !== undefined && !isInside(directory, within)) {
    return fail([
      {
        file: path,
        message: `is a symbolic link to ${directory}, outside ${within}; a skill folder must be inside its skills folder`,
      },
    ]);
  }
  if (!statSync(directory).isDirectory()) return fail([{ file: path, message: 'is not a folder' }]);
  const file = join(directory, SKILL_FILE);
  const shownFile = join(path, SKILL_FILE);
  let real: string;
  try {
    lstatSync(file);
    real = realpathSync(file);
  } catch {
    const lookalike = readdirSync(directory).find(
      (name) => name.toLowerCase() === SKILL_FILE.toLowerCase() && name !== SKILL_FILE,
    );
    return fail(
      [
        {
          file: path,
          message: lookalike
            ? `has ${lookalike}; the file must be named exactly ${SKILL_FILE}`
            : `has no ${SKILL_FILE} (cannot be read or does not exist)`,
        },
      ],
      directory,
    );
  }
  if (!isInside(real, directory)) {
    return fail(
      [{ file: shownFile, message: `is a symbolic link to ${real}, outside the skill folder ${directory}` }],
      directory,
    );
  }
  const size = statSync(real).size;
  if (size > SKILL_LIMITS.fileBytes) {
    return fail(
      [{ file: shownFile, message: `is ${size} bytes; the limit is ${SKILL_LIMITS.fileBytes}` }],
      directory,
    );
  }
  const parsed = parseSkillFile(readFileSync(real, 'utf8'), shownFile, folder);
  if (!parsed.manifest) return fail(parsed.problems, directory);
  const { manifest } = parsed;
  return {
    ok: true,
    skill: {
      name: manifest.name,
      description: manifest.description,
      manifest,
      body: parsed.body,
      directory,
      file: real,
      scope,
    },
  };
}

/** Whether `path` is a folder holding a SKILL.md (or a look-alike such as skill.md). */
export function looksLikeSkill(path: string): boolean {
  try {
    return readdirSync(path).some((name) => name.toLowerCase() === SKILL_FILE.toLowerCase());
  } catch {
    return false;
  }
}
