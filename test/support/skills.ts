import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Agent Skills on disk for tests: a folder with a SKILL.md (and any other files), written as a
 * person would. `root` is a skills folder (a home's `skills/`, a project's `.agents/skills/`).
 */

export interface SkillFixture {
  description?: string;
  /** More frontmatter lines, as YAML text (`metadata:\n  requires-bins: jq`). */
  frontmatter?: string;
  body?: string;
  /** Other files by path inside the skill; names under scripts/ are made executable. */
  files?: Record<string, string>;
}

export function writeSkill(root: string, name: string, fixture: SkillFixture = {}): string {
  const directory = join(root, name);
  mkdirSync(directory, { recursive: true });
  const lines = [
    '---',
    `name: ${name}`,
    `description: ${fixture.description ?? `The ${name} skill. Use it in tests.`}`,
    ...(fixture.frontmatter ? [fixture.frontmatter.trimEnd()] : []),
    '---',
    '',
    fixture.body ?? `# ${name}\n\nFollow these steps.`,
    '',
  ];
  writeFileSync(join(directory, 'SKILL.md'), lines.join('\n'));
  for (const [path, content] of Object.entries(fixture.files ?? {})) {
    const file = join(directory, path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
    if (path.startsWith('scripts/')) chmodSync(file, 0o755);
  }
  return directory;
}
