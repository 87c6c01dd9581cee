import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempHome } from '../../../test/support/in-process/temp-home.ts';
import { writeSkill } from '../../../test/support/skills.ts';
import { makeTempDir } from '../../../test/support/temp-dirs.ts';
import { skillsDir } from '../../core/home.ts';
import { BUNDLED_SKILLS_DIR, discoverSkills, skillRoots } from './discover-skills.ts';
import { formatProblem } from './skill-file.ts';

// Where skills come from, which one wins a name, and what is refused: real folders on disk.

const temp = useTempHome('skills');

function layout() {
  const project = makeTempDir('project');
  const bundled = makeTempDir('bundled');
  return {
    home: skillsDir(temp.home),
    agents: join(project, '.agents', 'skills'),
    claude: join(project, '.claude', 'skills'),
    bundled,
    roots: skillRoots({ home: temp.home, cwd: project, bundledDir: bundled }),
  };
}

describe('discoverSkills', () => {
  it('looks in the home, the project (.agents, then .claude) and the bundled skills, in that order', () => {
    const folders = layout();
    expect(folders.roots).toEqual([
      { path: folders.home, scope: 'home' },
      { path: folders.agents, scope: 'project' },
      { path: folders.claude, scope: 'project' },
      { path: folders.bundled, scope: 'bundled' },
    ]);
    writeSkill(folders.bundled, 'zeta');
    writeSkill(folders.claude, 'gamma');
    writeSkill(folders.agents, 'beta');
    writeSkill(folders.home, 'alpha');
    const discovery = discoverSkills(folders.roots);
    expect(discovery.skills.map((skill) => [skill.name, skill.scope])).toEqual([
      ['alpha', 'home'],
      ['beta', 'project'],
      ['gamma', 'project'],
      ['zeta', 'bundled'],
    ]);
    expect(discovery.invalid).toEqual([]);
    expect(discovery.shadowed).toEqual([]);
  });

  it('keeps the first skill of a name and reports every one it shadows', () => {
    const folders = layout();
    writeSkill(folders.bundled, 'review', { description: 'bundled' });
    writeSkill(folders.claude, 'review', { description: 'claude' });
    writeSkill(folders.agents, 'review', { description: 'agents' });
    writeSkill(folders.home, 'review', { description: 'home' });
    writeSkill(folders.bundled, 'lint', { description: 'bundled lint' });
    writeSkill(folders.agents, 'lint', { description: 'project lint' });
    const discovery = discoverSkills(folders.roots);
    expect(discovery.skills.map((skill) => [skill.name, skill.description])).toEqual([
      ['review', 'home'],
      ['lint', 'project lint'],
    ]);
    expect(discovery.shadowed.map(({ skill, by }) => [skill.description, by.description])).toEqual([
      ['agents', 'home'],
      ['claude', 'home'],
      ['bundled lint', 'project lint'],
      ['bundled', 'home'],
    ]);
  });

  it('skips an invalid skill with its file and line, loads the others, and ignores other folders', () => {
    const folders = layout();
    writeSkill(folders.home, 'good');
    const bad = join(folders.home, 'bad');
    mkdirSync(bad);
    writeFileSync(join(bad, 'SKILL.md'), '---\nname: bad\ndescription: x\nunknown: 1\n---\n');
    mkdirSync(join(folders.home, 'notes'));
    writeFileSync(join(folders.home, 'notes', 'README.md'), 'not a skill');
    writeFileSync(join(folders.home, 'README.md'), 'not a skill either');
    writeSkill(folders.home, '.hidden');
    const discovery = discoverSkills(folders.roots);
    expect(discovery.skills.map((skill) => skill.name)).toEqual(['good']);
    expect(discovery.invalid.map((invalid) => invalid.problems.map(formatProblem))).toEqual([
      [
        `${bad}/SKILL.md:4: unknown field "unknown": the specification allows only name, description, license, compatibility, metadata, allowed-tools; put other properties under metadata`,
      ],
    ]);
  });

  it('refuses a skill folder that is a symbolic link out of its skills folder, and takes one inside it', () => {
    const folders = layout();
    const elsewhere = makeTempDir('elsewhere');
    writeSkill(elsewhere, 'outside');
    mkdirSync(folders.home, { recursive: true });
    symlinkSync(join(elsewhere, 'outside'), join(folders.home, 'outside'));
    writeSkill(join(folders.home, 'library'), 'inside');
    symlinkSync(join(folders.home, 'library', 'inside'), join(folders.home, 'inside'));
    writeSkill(folders.home, 'plain');
    const discovery = discoverSkills(folders.roots);
    expect(discovery.skills.map((skill) => skill.name)).toEqual(['inside', 'plain']);
    expect(discovery.invalid.map((invalid) => invalid.problems.map(formatProblem))).toEqual([
      [
        `${join(folders.home, 'outside')}: is a symbolic link to ${join(elsewhere, 'outside')}, outside ${folders.home}; a skill folder must be inside its skills folder`,
      ],
    ]);
  });

  it('refuses a SKILL.md that links out of its folder, and a skill.md that is not named SKILL.md', () => {
    const folders = layout();
    const elsewhere = makeTempDir('elsewhere');
    writeFileSync(join(elsewhere, 'SKILL.md'), '---\nname: linked\ndescription: d\n---\n');
    mkdirSync(join(folders.home, 'linked'), { recursive: true });
    symlinkSync(join(elsewhere, 'SKILL.md'), join(folders.home, 'linked', 'SKILL.md'));
    mkdirSync(join(folders.home, 'lower'));
    writeFileSync(join(folders.home, 'lower', 'skill.md'), '---\nname: lower\ndescription: d\n---\n');
    const discovery = discoverSkills(folders.roots);
    expect(discovery.skills).toEqual([]);
    expect(discovery.invalid.flatMap((invalid) => invalid.problems.map(formatProblem))).toEqual([
      `${join(folders.home, 'linked', 'SKILL.md')}: is a symbolic link to ${join(elsewhere, 'SKILL.md')}, outside the skill folder ${join(folders.home, 'linked')}`,
      `${join(folders.home, 'lower')}: has skill.md; the file must be named exactly SKILL.md`,
    ]);
  });

  it('refuses a SKILL.md over 1 MiB, and reads the first 500 skills of a folder, saying so', () => {
    const folders = layout();
    const big = join(folders.home, 'big');
    mkdirSync(big, { recursive: true });
    writeFileSync(join(big, 'SKILL.md'), `---\nname: big\ndescription: d\n---\n${'x'.repeat(1024 * 1024)}`);
    for (let index = 0; index < 501; index++) {
      mkdirSync(join(folders.bundled, `s${String(index).padStart(3, '0')}`));
      writeFileSync(
        join(folders.bundled, `s${String(index).padStart(3, '0')}`, 'SKILL.md'),
        `---\nname: s${String(index).padStart(3, '0')}\ndescription: d\n---\n`,
      );
    }
    const discovery = discoverSkills(folders.roots);
    expect(discovery.skills).toHaveLength(500);
    expect(discovery.skills.at(-1)?.name).toBe('s499');
    expect(discovery.invalid.flatMap((invalid) => invalid.problems.map(formatProblem))).toEqual([
      `${join(big, 'SKILL.md')}: is ${1024 * 1024 + 33} bytes; the limit is 1048576`,
      `${folders.bundled}: holds 501 skills; only the first 500 are read`,
    ]);
  });

  it('finds nothing, without complaint, when no skills folder exists', () => {
    expect(discoverSkills(layout().roots)).toEqual({ skills: [], invalid: [], shadowed: [] });
  });

  it('ships valid bundled skills', () => {
    const discovery = discoverSkills([{ path: BUNDLED_SKILLS_DIR, scope: 'bundled' }]);
    expect(discovery.invalid).toEqual([]);
    expect(discovery.skills.map((skill) => skill.name)).toEqual(['git-commit-message', 'write-report']);
  });
});
