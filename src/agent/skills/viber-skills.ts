import type { OpenViberHome } from '../../core/home.ts';
import type { ConfigValidation, SkillsHealth, ViberSkillInfo } from '../../protocol/index.ts';
import { toolProcessEnvironment } from '../credentials.ts';
import { discoverSkills, skillRoots } from './discover-skills.ts';
import { formatProblem } from './skill-file.ts';
import { checkSkillHealth } from './skill-health.ts';

export interface ViberSkillsInput {
  home: OpenViberHome;
  bundledDir?: string;
  /** The daemon's environment; requirements are checked against what its tasks' commands get. */
  env: NodeJS.ProcessEnv;
  /** `agent.env` of config.json: the daemon's variables passed on to commands. */
  passNames?: readonly string[];
  platform?: NodeJS.Platform;
  now?: Date;
}

/** What a viber reports of its skills: in `connected`, in heartbeats, and in `config:ack`. */
export interface ViberSkillsCheck {
  /** ViberInfo.skills: every skill of the home and the bundled ones, invalid ones included. */
  skills: ViberSkillInfo[];
  /** ViberStatus.skills. */
  health: SkillsHealth;
  /** The `skills` entry of config:ack. */
  validation: Omit<ConfigValidation, 'checkedAt'>;
  /** Every problem found and every shadowed skill, one line each, for the log. */
  warnings: string[];
}

/** The protocol's bounds (ViberSkillInfoSchema, ViberInfoSchema): a frame past them is refused. */
const MAX_SUMMARY_CHARS = 2000;
const MAX_REPORTED_SKILLS = 1000;

/**
 * Checks the skills every task of this viber has (the home's and the bundled ones; a task's
 * project adds its own). An invalid skill is reported NOT_AVAILABLE with its first problem.
 */
export function checkViberSkills(input: ViberSkillsInput): ViberSkillsCheck {
  const discovery = discoverSkills(skillRoots({ home: input.home, bundledDir: input.bundledDir }));
  const env = toolProcessEnvironment(input.env, input.passNames);
  const platform = input.platform ?? process.platform;
  const skills: ViberSkillInfo[] = discovery.skills.map((skill) => {
    const health = checkSkillHealth(skill.manifest, { env, platform });
    return {
      id: `${skill.scope}:${skill.name}`,
      name: skill.name,
      description: skill.description,
      available: health.status === 'AVAILABLE',
      status: health.status,
      healthSummary: health.summary.slice(0, MAX_SUMMARY_CHARS),
    };
  });
  const ids = new Set(skills.map((skill) => skill.id));
  for (const invalid of discovery.invalid) {
    const id = `${invalid.scope}:${invalid.folder}`.slice(0, 200);
    if (ids.has(id)) continue;
    ids.add(id);
    const first = invalid.problems[0];
    skills.push({
      id,
      name: invalid.folder.slice(0, 200),
      description: '',
      available: false,
      status: 'NOT_AVAILABLE',
      healthSummary: `invalid SKILL.md: ${first ? formatProblem(first) : 'unreadable'}`.slice(
        0,
        MAX_SUMMARY_CHARS,
      ),
    });
  }
  const warnings = [
    ...discovery.invalid.flatMap((invalid) => invalid.problems.map(formatProblem)),
    ...discovery.shadowed.map(
      ({ skill, by }) =>
        `skill ${skill.name} in ${skill.directory} is shadowed by the one in ${by.directory}`,
    ),
  ];
  skills.splice(MAX_REPORTED_SKILLS);
  const count = (status: ViberSkillInfo['status']) =>
    skills.filter((skill) => skill.status === status).length;
  const health: SkillsHealth = {
    checkedAt: (input.now ?? new Date()).toISOString(),
    available: count('AVAILABLE'),
    notAvailable: count('NOT_AVAILABLE'),
    unknown: count('UNKNOWN'),
    skills: skills.map(({ id, status, healthSummary }) => ({
      id,
      status,
      ...(healthSummary ? { healthSummary } : {}),
    })),
  };
  return { skills, health, validation: validationOf(skills, health), warnings };
}

/** `verified` when every skill is available; `failed` naming each one that is not, and why. */
function validationOf(skills: ViberSkillInfo[], health: SkillsHealth): Omit<ConfigValidation, 'checkedAt'> {
  if (skills.length === 0) return { category: 'skills', status: 'verified', message: 'no skills installed' };
  const others = skills.filter((skill) => !skill.available);
  const counts = `${health.available} of ${skills.length} skill(s) available`;
  if (others.length === 0) return { category: 'skills', status: 'verified', message: counts };
  const reasons = others.map((skill) => `${skill.name}: ${skill.healthSummary ?? skill.status}`).join('; ');
  return {
    category: 'skills',
    status: 'failed',
    message: `${counts}; ${reasons}`.slice(0, MAX_SUMMARY_CHARS),
  };
}
