import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempHome } from '../../../test/support/in-process/temp-home.ts';
import { writeSkill } from '../../../test/support/skills.ts';
import { makeTempDir } from '../../../test/support/temp-dirs.ts';
import { skillsDir } from '../../core/home.ts';
import { SkillsHealthSchema, ViberSkillInfoSchema } from '../../protocol/index.ts';
import type { SkillManifest } from './skill-file.ts';
import { checkSkillHealth } from './skill-health.ts';
import { checkViberSkills } from './viber-skills.ts';

// Requirements a skill declares in metadata, checked on this machine: real PATH lookups.

const temp = useTempHome('health');

/** A folder on PATH with the named executables in it. */
function binFolder(...names: string[]): string {
  const folder = makeTempDir('bin');
  for (const name of names) {
    writeFileSync(join(folder, name), '#!/bin/sh\nexit 0\n');
    chmodSync(join(folder, name), 0o755);
  }
  return folder;
}

const manifest = (metadata: Record<string, string>): SkillManifest => ({
  name: 'x',
  description: 'd',
  metadata,
  allowedTools: [],
});

describe('checkSkillHealth', () => {
  it('is AVAILABLE with no requirements, or when every declared one is met', () => {
    const bin = binFolder('jq', 'git');
    expect(checkSkillHealth(manifest({}), { env: {}, platform: 'linux' })).toEqual({
      status: 'AVAILABLE',
      summary: 'no requirements declared',
    });
    expect(
      checkSkillHealth(
        manifest({ 'requires-bins': 'git jq', 'requires-env': 'GITHUB_TOKEN', platforms: 'linux darwin' }),
        { env: { PATH: bin, GITHUB_TOKEN: 'ghp_x' }, platform: 'linux' },
      ),
    ).toEqual({ status: 'AVAILABLE', summary: 'platform linux; found git, jq; GITHUB_TOKEN set' });
  });

  it('is NOT_AVAILABLE, saying why, for a missing program, an unset variable or another platform', () => {
    const bin = binFolder('git');
    const notExecutable = join(bin, 'jq');
    writeFileSync(notExecutable, 'not a program');
    expect(
      checkSkillHealth(manifest({ 'requires-bins': 'git jq', 'requires-env': 'GITHUB_TOKEN NPM_TOKEN' }), {
        env: { PATH: bin, NPM_TOKEN: 'x' },
        platform: 'linux',
      }),
    ).toEqual({
      status: 'NOT_AVAILABLE',
      summary: 'missing on PATH: jq; not set for commands: GITHUB_TOKEN',
    });
    expect(checkSkillHealth(manifest({ platforms: 'darwin' }), { env: {}, platform: 'linux' })).toEqual({
      status: 'NOT_AVAILABLE',
      summary: 'runs on darwin, not linux',
    });
  });

  it('is UNKNOWN for a requires-* key it cannot check, unless something else is already missing', () => {
    expect(
      checkSkillHealth(manifest({ 'requires-python': '>=3.12', 'requires-bins': 'git' }), {
        env: { PATH: binFolder('git') },
        platform: 'linux',
      }),
    ).toEqual({ status: 'UNKNOWN', summary: 'cannot check requires-python; found git' });
    expect(
      checkSkillHealth(manifest({ 'requires-python': '>=3.12', 'requires-bins': 'nope' }), {
        env: { PATH: binFolder() },
        platform: 'linux',
      }).status,
    ).toBe('NOT_AVAILABLE');
  });
});

describe('checkViberSkills (what a daemon reports)', () => {
  it('lists the home and bundled skills as ViberSkillInfo, the invalid ones NOT_AVAILABLE, with counts', () => {
    const bundled = makeTempDir('bundled');
    writeSkill(bundled, 'report', { description: 'Write reports.' });
    const home = skillsDir(temp.home);
    writeSkill(home, 'jq-tool', { frontmatter: 'metadata:\n  requires-bins: jq-not-installed-here' });
    writeSkill(home, 'python-tool', { frontmatter: 'metadata:\n  requires-python: ">=3.12"' });
    mkdirSync(join(home, 'broken'));
    writeFileSync(join(home, 'broken', 'SKILL.md'), '---\nname: broken\n---\n');
    const check = checkViberSkills({
      home: temp.home,
      bundledDir: bundled,
      env: { PATH: binFolder() },
      now: new Date('2026-01-02T03:04:05.000Z'),
    });
    expect(check.skills).toEqual([
      {
        id: 'home:jq-tool',
        name: 'jq-tool',
        description: 'The jq-tool skill. Use it in tests.',
        available: false,
        status: 'NOT_AVAILABLE',
        healthSummary: 'missing on PATH: jq-not-installed-here',
      },
      {
        id: 'home:python-tool',
        name: 'python-tool',
        description: 'The python-tool skill. Use it in tests.',
        available: false,
        status: 'UNKNOWN',
        healthSummary: 'cannot check requires-python',
      },
      {
        id: 'bundled:report',
        name: 'report',
        description: 'Write reports.',
        available: true,
        status: 'AVAILABLE',
        healthSummary: 'no requirements declared',
      },
      {
        id: 'home:broken',
        name: 'broken',
        description: '',
        available: false,
        status: 'NOT_AVAILABLE',
        healthSummary: `invalid SKILL.md: ${join(home, 'broken', 'SKILL.md')}:2: missing required field "description"`,
      },
    ]);
    for (const skill of check.skills) expect(ViberSkillInfoSchema.parse(skill)).toEqual(skill);
    expect(SkillsHealthSchema.parse(check.health)).toEqual({
      checkedAt: '2026-01-02T03:04:05.000Z',
      available: 1,
      notAvailable: 2,
      unknown: 1,
      skills: check.skills.map(({ id, status, healthSummary }) => ({ id, status, healthSummary })),
    });
    expect(check.validation).toEqual({
      category: 'skills',
      status: 'failed',
      message: `1 of 4 skill(s) available; jq-tool: missing on PATH: jq-not-installed-here; python-tool: cannot check requires-python; broken: invalid SKILL.md: ${join(home, 'broken', 'SKILL.md')}:2: missing required field "description"`,
    });
    expect(check.warnings).toEqual([
      `${join(home, 'broken', 'SKILL.md')}:2: missing required field "description"`,
    ]);
  });

  it("checks requires-env against what the viber's commands get: agent.env passes a daemon variable on", () => {
    writeSkill(skillsDir(temp.home), 'gh', { frontmatter: 'metadata:\n  requires-env: GITHUB_TOKEN' });
    const env = { PATH: '', GITHUB_TOKEN: 'ghp_secret' };
    expect(checkViberSkills({ home: temp.home, env }).skills[0]).toMatchObject({
      status: 'NOT_AVAILABLE',
      healthSummary: 'not set for commands: GITHUB_TOKEN',
    });
    const passed = checkViberSkills({ home: temp.home, env, passNames: ['GITHUB_TOKEN'] });
    expect(passed.skills[0]).toMatchObject({ status: 'AVAILABLE', healthSummary: 'GITHUB_TOKEN set' });
    expect(passed.validation).toEqual({
      category: 'skills',
      status: 'verified',
      message: '1 of 1 skill(s) available',
    });
  });

  it('keeps what it reports within the protocol: a very long health summary is cut', () => {
    const bins = Array.from({ length: 400 }, (_, index) => `missing-program-${index}`).join(' ');
    writeSkill(skillsDir(temp.home), 'greedy', { frontmatter: `metadata:\n  requires-bins: "${bins}"` });
    const [skill] = checkViberSkills({ home: temp.home, env: { PATH: '' } }).skills;
    expect(skill?.healthSummary).toHaveLength(2000);
    expect(ViberSkillInfoSchema.safeParse(skill).success).toBe(true);
  });

  it('says so when there are no skills', () => {
    const check = checkViberSkills({ home: temp.home, env: {} });
    expect(check.skills).toEqual([]);
    expect(check.validation).toEqual({
      category: 'skills',
      status: 'verified',
      message: 'no skills installed',
    });
  });
});
