import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { callTool, useToolContext } from '../../../test/support/in-process/tool-context.ts';
import { writeSkill } from '../../../test/support/skills.ts';
import { loadSkill, type Skill } from '../skills/load-skill.ts';
import { type ActivateSkillResult, createActivateSkillTool } from './activate-skill.ts';
import { editFileTool } from './edit-file.ts';
import { globTool } from './glob.ts';
import { grepTool } from './grep.ts';
import { listDirectoryTool } from './list-directory.ts';
import { readFileTool } from './read-file.ts';
import { writeFileTool } from './write-file.ts';

// activate_skill through the define-tool wrapper (validation, evidence), and the skill's folder
// readable, never writable, by the file tools.

const t = useToolContext();

function installSkill(): Skill {
  const directory = writeSkill(join(t.outside, 'skills'), 'deploy-notes', {
    description: 'Write deploy notes. Use when asked for release notes.',
    frontmatter: 'compatibility: Needs git\nallowed-tools: Bash(git:*) Read',
    body: '# Deploy notes\n\nRun scripts/collect.sh, then fill references/TEMPLATE.md.',
    files: {
      'scripts/collect.sh': 'echo collected\n',
      'references/TEMPLATE.md': '# Template\n',
      'assets/logo.txt': 'logo',
    },
  });
  const loaded = loadSkill(directory, 'home');
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems));
  t.context.readOnlyRoots = [loaded.skill.directory];
  return loaded.skill;
}

describe('activate_skill', () => {
  it('returns the instructions, the folder and the list of files, and records evidence', async () => {
    const skill = installSkill();
    const tools = { activate_skill: createActivateSkillTool([skill]).create(t.context) };
    const result = await callTool<ActivateSkillResult>(
      tools,
      'activate_skill',
      { name: 'deploy-notes' },
      'call_a',
    );
    expect(result).toEqual({
      name: 'deploy-notes',
      directory: skill.directory,
      instructions: '# Deploy notes\n\nRun scripts/collect.sh, then fill references/TEMPLATE.md.',
      files: ['assets/logo.txt', 'references/TEMPLATE.md', 'scripts/collect.sh'],
      filesTruncated: false,
      compatibility: 'Needs git',
      allowedTools: ['Bash(git:*)', 'Read'],
      note:
        `Paths in these instructions are relative to ${skill.directory}. Its allowed-tools are informational: ` +
        'OpenViber pre-approves nothing for a skill; every call goes through the task’s autonomy mode.',
    });
    expect(t.evidence).toEqual([
      {
        kind: 'tool-call',
        toolCallId: 'call_a',
        tool: 'activate_skill',
        input: 'activate skill deploy-notes',
        outputExcerpt: `activated deploy-notes (${skill.directory}): 3 file(s): assets/logo.txt, references/TEMPLATE.md, scripts/collect.sh`,
        ok: true,
      },
    ]);
  });

  it('lists at most 200 files, and not the install record', async () => {
    const files = Object.fromEntries(
      Array.from({ length: 201 }, (_, index) => [`assets/f${String(index).padStart(3, '0')}.txt`, 'x']),
    );
    const directory = writeSkill(join(t.outside, 'skills'), 'many', {
      files: { ...files, '.openviber-skill.json': '{}' },
    });
    const loaded = loadSkill(directory, 'home');
    if (!loaded.ok) throw new Error('invalid');
    const tools = { activate_skill: createActivateSkillTool([loaded.skill]).create(t.context) };
    const result = await callTool<ActivateSkillResult>(tools, 'activate_skill', { name: 'many' });
    expect(result.files).toHaveLength(200);
    expect(result.files?.at(-1)).toBe('assets/f199.txt');
    expect(result.filesTruncated).toBe(true);
    expect(result.note).toBe(
      `Paths in these instructions are relative to ${directory}. Only the first 200 files are listed.`,
    );
  });

  it('refuses a name that is not one of the available skills, naming the valid ones', async () => {
    const skill = installSkill();
    const tools = { activate_skill: createActivateSkillTool([skill]).create(t.context) };
    const result = await callTool(tools, 'activate_skill', { name: 'no-such-skill' });
    expect(result.error).toBe(
      'Invalid input for activate_skill: name: Invalid input: expected "deploy-notes"',
    );
    expect(t.evidence[0]).toMatchObject({ tool: 'activate_skill', ok: false });
  });

  it("lets the file tools read a skill's folder but never write into it", async () => {
    const skill = installSkill();
    const tools = {
      read_file: readFileTool.create(t.context),
      list_directory: listDirectoryTool.create(t.context),
      glob: globTool.create(t.context),
      grep: grepTool.create(t.context),
      write_file: writeFileTool.create(t.context),
      edit_file: editFileTool.create(t.context),
    };
    const template = join(skill.directory, 'references', 'TEMPLATE.md');
    expect(await callTool(tools, 'read_file', { path: template })).toMatchObject({ content: '# Template' });
    expect(await callTool(tools, 'list_directory', { path: skill.directory })).toMatchObject({ total: 4 });
    expect(await callTool(tools, 'glob', { pattern: '**/*.sh', path: skill.directory })).toMatchObject({
      matches: 'scripts/collect.sh',
    });
    expect(await callTool(tools, 'grep', { pattern: 'collected', path: skill.directory })).toMatchObject({
      count: 1,
    });
    expect(await callTool(tools, 'write_file', { path: template, content: 'changed' })).toEqual({
      error: `${template} is inside ${skill.directory}, a skill's folder, which tools may read but not change`,
    });
    expect(
      await callTool(tools, 'edit_file', { path: template, oldText: '# Template', newText: '# Changed' }),
    ).toEqual({
      error: `${template} is inside ${skill.directory}, a skill's folder, which tools may read but not change`,
    });
    expect(readFileSync(template, 'utf8')).toBe('# Template\n');
    // A file of the skill that links outside it is not readable through it.
    writeFileSync(join(t.outside, 'elsewhere.txt'), 'not for the model');
    symlinkSync(join(t.outside, 'elsewhere.txt'), join(skill.directory, 'references', 'link.txt'));
    expect(
      (await callTool(tools, 'read_file', { path: join(skill.directory, 'references', 'link.txt') })).error,
    ).toMatch(/outside the allowed roots/);
    // Folders beside the skill stay outside the roots, as before.
    expect((await callTool(tools, 'read_file', { path: join(t.outside, 'elsewhere.txt') })).error).toMatch(
      /outside the allowed roots/,
    );
  });
});
