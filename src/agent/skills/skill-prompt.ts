/** What the system prompt shows of a skill: its name, description and where its SKILL.md is. */
export interface SkillListing {
  name: string;
  description: string;
  location: string;
}

export const ACTIVATE_SKILL_TOOL_NAME = 'activate_skill';

const INSTRUCTIONS = `Skills are folders of instructions, and sometimes scripts and reference files, for particular kinds of work. When the goal matches a skill's description, call \`${ACTIVATE_SKILL_TOOL_NAME}\` with its name before you start: it returns the instructions and lists the skill's files. Paths in a skill are relative to its folder (the folder of its SKILL.md): read them with read_file, which may read a skill's folder but not change it, and run its scripts with the shell tool. A skill's commands need the same approvals as any other command.`;

/**
 * The system prompt's skills section (the catalog of progressive disclosure: only names,
 * descriptions and locations; the instructions come with activate_skill). None without skills.
 */
export function skillsPromptSection(skills: readonly SkillListing[]): string | undefined {
  if (skills.length === 0) return undefined;
  const entries = skills.map(
    (skill) =>
      `<skill>\n<name>${escapeXml(skill.name)}</name>\n<description>${escapeXml(skill.description)}</description>\n<location>${escapeXml(skill.location)}</location>\n</skill>`,
  );
  return `# Skills\n${INSTRUCTIONS}\n\n<available_skills>\n${entries.join('\n')}\n</available_skills>`;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
