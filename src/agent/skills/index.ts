// Agent Skills (agentskills.io): SKILL.md folders found, validated, checked and offered to tasks.
export type {
  InvalidSkill,
  ShadowedSkill,
  SkillDiscovery,
  SkillRoot,
  SkillRootsInput,
} from './discover-skills.ts';
export { BUNDLED_SKILLS_DIR, discoverSkills, MAX_SKILLS_PER_ROOT, skillRoots } from './discover-skills.ts';
export type { InstallRecord } from './install-record.ts';
export { INSTALL_RECORD_FILE, readInstallRecord } from './install-record.ts';
export type { InstalledSkill, InstallInput } from './install-skill.ts';
export { installSkills, isGitUrl, removeSkill, SkillInstallError } from './install-skill.ts';
export type { Skill, SkillLoad, SkillScope } from './load-skill.ts';
export { loadSkill, looksLikeSkill } from './load-skill.ts';
export type { ParsedSkillFile, SkillManifest, SkillProblem } from './skill-file.ts';
export {
  characterCount,
  formatProblem,
  parseSkillFile,
  SKILL_FIELDS,
  SKILL_FILE,
  SKILL_LIMITS,
} from './skill-file.ts';
export type { SkillFiles } from './skill-files.ts';
export { listSkillFiles, MAX_LISTED_FILES } from './skill-files.ts';
export type { HealthContext, SkillHealth } from './skill-health.ts';
export { checkSkillHealth, REQUIREMENT_KEYS } from './skill-health.ts';
export type { HubEntry } from './skill-hub.ts';
export { HubIndexSchema, hubLocation, readHubIndex, SKILL_HUB_VARIABLE, searchHub } from './skill-hub.ts';
export type { SkillListing } from './skill-prompt.ts';
export { ACTIVATE_SKILL_TOOL_NAME, skillsPromptSection } from './skill-prompt.ts';
export type { TaskSkills, TaskSkillsInput } from './task-skills.ts';
export { loadTaskSkills } from './task-skills.ts';
export type { ViberSkillsCheck, ViberSkillsInput } from './viber-skills.ts';
export { checkViberSkills } from './viber-skills.ts';
