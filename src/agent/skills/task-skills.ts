import type { ToolSet } from 'ai';
import type { OpenViberHome } from '../../core/home.ts';
import type { Logger } from '../../core/logger.ts';
import type { ToolCatalog } from '../autonomy-policy.ts';
import { createActivateSkillTool } from '../tools/activate-skill.ts';
import type { ToolContext } from '../tools/tool-context.ts';
import { discoverSkills, skillRoots } from './discover-skills.ts';
import type { Skill } from './load-skill.ts';
import { formatProblem } from './skill-file.ts';
import { checkSkillHealth } from './skill-health.ts';
import type { SkillListing } from './skill-prompt.ts';

export interface TaskSkillsInput {
  home: OpenViberHome;
  /** The task's working directory (its `.agents/skills/` and `.claude/skills/`). */
  cwd: string;
  bundledDir?: string;
  /** The environment the task's commands get: requirements are checked against it. */
  env: () => NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  logger: Logger;
}

/** What a task gets of the skills: the available ones, in its prompt and behind activate_skill. */
export interface TaskSkills {
  /** The skills found valid and AVAILABLE on this machine, first of each name. */
  available: Skill[];
  /** Their folders: the file tools may read them, never change them. */
  directories: string[];
  /** For the system prompt. */
  listings: SkillListing[];
  /** `activate_skill` bound to the task's context; no tool when no skill is available. */
  createTools(context: ToolContext): ToolSet;
  catalog: ToolCatalog;
}

/**
 * Finds the task's skills, fresh for each task (a skill added a moment ago is there), and keeps
 * those whose requirements are met. Invalid, shadowed and unavailable skills are logged.
 */
export function loadTaskSkills(input: TaskSkillsInput): TaskSkills {
  const discovery = discoverSkills(skillRoots(input));
  const { logger } = input;
  for (const invalid of discovery.invalid) {
    for (const problem of invalid.problems) logger.warn({ skill: invalid.folder }, formatProblem(problem));
  }
  for (const { skill, by } of discovery.shadowed) {
    logger.warn(
      { skill: skill.name, ignored: skill.directory, kept: by.directory },
      `skill ${skill.name} in ${skill.directory} is shadowed by the one in ${by.directory}`,
    );
  }
  let env: NodeJS.ProcessEnv | undefined;
  const available = discovery.skills.filter((skill) => {
    env ??= input.env();
    const health = checkSkillHealth(skill.manifest, { env, platform: input.platform ?? process.platform });
    if (health.status !== 'AVAILABLE') {
      logger.info({ skill: skill.name, status: health.status }, `skill left out: ${health.summary}`);
    }
    return health.status === 'AVAILABLE';
  });
  const tool = available.length > 0 ? createActivateSkillTool(available) : undefined;
  return {
    available,
    directories: available.map((skill) => skill.directory),
    listings: available.map((skill) => ({
      name: skill.name,
      description: skill.description,
      location: skill.file,
    })),
    createTools: (context) => (tool ? { [tool.name]: tool.create(context) } : {}),
    catalog: tool ? { [tool.name]: { kind: tool.kind, summary: tool.summary } } : {},
  };
}
