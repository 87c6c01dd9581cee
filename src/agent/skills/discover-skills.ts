import { readdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type OpenViberHome, skillsDir } from '../../core/home.ts';
import { loadSkill, looksLikeSkill, type Skill, type SkillScope } from './load-skill.ts';
import type { SkillProblem } from './skill-file.ts';

/** The skills shipped with OpenViber: the repository's top-level `skills/` folder. */
export const BUNDLED_SKILLS_DIR = fileURLToPath(new URL('../../../skills', import.meta.url));

/** A folder whose sub-folders are skills. */
export interface SkillRoot {
  path: string;
  scope: SkillScope;
}

export interface SkillRootsInput {
  home: OpenViberHome;
  /** The task's working directory: its `.agents/skills/` and `.claude/skills/`. */
  cwd?: string;
  /** The skills shipped with OpenViber (BUNDLED_SKILLS_DIR). */
  bundledDir?: string;
}

/**
 * Where skills are looked for, in order; the first skill of a name wins. The viber's own skills
 * come first, so a repository a task works in cannot replace a skill the operator installed; the
 * project's come before the bundled ones, which are the fallback.
 */
export function skillRoots(input: SkillRootsInput): SkillRoot[] {
  return [
    { path: skillsDir(input.home), scope: 'home' },
    ...(input.cwd
      ? [
          { path: join(input.cwd, '.agents', 'skills'), scope: 'project' as const },
          { path: join(input.cwd, '.claude', 'skills'), scope: 'project' as const },
        ]
      : []),
    ...(input.bundledDir ? [{ path: input.bundledDir, scope: 'bundled' as const }] : []),
  ];
}

/** A folder that looks like a skill but is not a valid one: reported, then skipped. */
export interface InvalidSkill {
  folder: string;
  directory: string;
  scope: SkillScope;
  problems: SkillProblem[];
}

/** A valid skill hidden by an earlier one of the same name. */
export interface ShadowedSkill {
  skill: Skill;
  by: Skill;
}

export interface SkillDiscovery {
  /** The valid skills, one per name, in root order and then by folder name. */
  skills: Skill[];
  invalid: InvalidSkill[];
  shadowed: ShadowedSkill[];
}

/** A skills folder with more entries than this has the rest ignored (and says so). */
export const MAX_SKILLS_PER_ROOT = 500;

/**
 * Every skill under the roots: each sub-folder holding a SKILL.md, read and validated. A root that
 * does not exist is skipped; an invalid skill is reported and skipped while the others load.
 */
export function discoverSkills(roots: readonly SkillRoot[]): SkillDiscovery {
  const discovery: SkillDiscovery = { skills: [], invalid: [], shadowed: [] };
  const byName = new Map<string, Skill>();
  const seenRoots = new Set<string>();
  for (const root of roots) {
    let real: string;
    let names: string[];
    try {
      real = realpathSync(root.path);
      names = readdirSync(real).sort();
    } catch {
      continue; // no such folder (or unreadable): nothing to discover there
    }
    if (seenRoots.has(real)) continue;
    seenRoots.add(real);
    const candidates = names.filter((name) => !name.startsWith('.') && looksLikeSkill(join(real, name)));
    if (candidates.length > MAX_SKILLS_PER_ROOT) {
      discovery.invalid.push({
        folder: root.path,
        directory: real,
        scope: root.scope,
        problems: [
          {
            file: root.path,
            message: `holds ${candidates.length} skills; only the first ${MAX_SKILLS_PER_ROOT} are read`,
          },
        ],
      });
    }
    for (const name of candidates.slice(0, MAX_SKILLS_PER_ROOT)) {
      // The path as the root names it: a symlinked folder is judged by where it points.
      const loaded = loadSkill(join(root.path, name), root.scope, real);
      if (!loaded.ok) {
        const { ok: _, ...invalid } = loaded;
        discovery.invalid.push(invalid);
        continue;
      }
      const earlier = byName.get(loaded.skill.name);
      if (earlier) {
        discovery.shadowed.push({ skill: loaded.skill, by: earlier });
        continue;
      }
      byName.set(loaded.skill.name, loaded.skill);
      discovery.skills.push(loaded.skill);
    }
  }
  return discovery;
}
