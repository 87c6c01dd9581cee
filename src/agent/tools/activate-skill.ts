import { z } from 'zod';
import type { Skill } from '../skills/load-skill.ts';
import { listSkillFiles } from '../skills/skill-files.ts';
import { ACTIVATE_SKILL_TOOL_NAME } from '../skills/skill-prompt.ts';
import { type DefinedTool, defineTool, inputText } from './define-tool.ts';

const DESCRIPTION = `Load a skill's full instructions before doing work its description matches. Returns the instructions (the body of its SKILL.md), the skill's folder and the files it brings (scripts/, references/, assets/), which are not read: read the ones the instructions name with read_file (paths are relative to the skill's folder) and run its scripts with the shell tool. Skills grant no extra permissions: their commands need the same approvals as any other.`;

export interface ActivateSkillResult {
  name: string;
  /** The skill's folder: relative paths in the instructions are relative to it. */
  directory: string;
  instructions: string;
  /** Files besides SKILL.md, relative to `directory`. */
  files: string[];
  filesTruncated: boolean;
  compatibility?: string;
  /** As the skill declares them; informational only (see `note`). */
  allowedTools?: string[];
  note: string;
}

const ALLOWED_TOOLS_NOTE =
  ' Its allowed-tools are informational: OpenViber pre-approves nothing for a skill; every call goes through the task’s autonomy mode.';

/**
 * `activate_skill` for the skills available to one task: its input is the enum of their names, so
 * a model cannot name a skill that does not exist (the wrapper answers with the valid names).
 * The second tier of progressive disclosure: instructions on demand, files listed but not read.
 */
export function createActivateSkillTool(skills: readonly Skill[]): DefinedTool {
  const byName = new Map(skills.map((skill) => [skill.name, skill]));
  const names = skills.map((skill) => skill.name);
  if (names.length === 0) throw new Error('activate_skill needs at least one skill');
  const inputSchema = z.object({
    name: z.enum(names as [string, ...string[]]).describe('The name of the skill, as listed under Skills'),
  });
  return defineTool<typeof inputSchema, ActivateSkillResult>({
    name: ACTIVATE_SKILL_TOOL_NAME,
    kind: 'read',
    summary: "Load a skill's instructions and list its files",
    description: DESCRIPTION,
    inputSchema,
    describe: (input) => `activate skill ${inputText(input, 'name')}`,
    excerpt: (output) =>
      `activated ${output.name} (${output.directory}): ${output.files.length} file(s)${output.files.length > 0 ? `: ${output.files.join(', ')}` : ''}`,
    async execute(input) {
      const skill = byName.get(input.name)!;
      const listed = listSkillFiles(skill.directory);
      const { compatibility, allowedTools } = skill.manifest;
      return {
        name: skill.name,
        directory: skill.directory,
        instructions: skill.body,
        files: listed.files,
        filesTruncated: listed.truncated,
        ...(compatibility ? { compatibility } : {}),
        ...(allowedTools.length > 0 ? { allowedTools } : {}),
        note:
          `Paths in these instructions are relative to ${skill.directory}.` +
          (listed.truncated ? ` Only the first ${listed.files.length} files are listed.` : '') +
          (allowedTools.length > 0 ? ALLOWED_TOOLS_NOTE : ''),
      };
    },
  });
}
