import { existsSync, mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempHome } from '../../../test/support/in-process/temp-home.ts';
import { writeSkill } from '../../../test/support/skills.ts';
import { makeTempDir } from '../../../test/support/temp-dirs.ts';
import { skillsDir } from '../../core/home.ts';
import { installSkills, isGitUrl } from './install-skill.ts';
import { type HubEntry, readHubIndex, searchHub } from './skill-hub.ts';

// Installing skills from folders (the git path runs in test/e2e/skill-cli.test.ts) and reading a
// hub index: real files on disk.

const temp = useTempHome('install');

describe('installSkills', () => {
  it('installs every skill of a folder of skills, without .git', async () => {
    const source = makeTempDir('collection');
    writeSkill(source, 'one', {
      files: { '.git/HEAD': 'ref: refs/heads/main\n', 'scripts/a.sh': 'echo a\n' },
    });
    writeSkill(source, 'two');
    const installed = await installSkills({ home: temp.home, source });
    expect(installed.map((skill) => [skill.name, skill.record.path])).toEqual([
      ['one', 'one'],
      ['two', 'two'],
    ]);
    const one = join(skillsDir(temp.home), 'one');
    expect(readdirSync(one).sort()).toEqual(['.openviber-skill.json', 'SKILL.md', 'scripts']);
    // Private to the viber's user like everything under the home; the script stays runnable.
    const mode = (path: string) => (statSync(join(one, path)).mode & 0o777).toString(8);
    expect(['SKILL.md', '.openviber-skill.json', 'scripts', 'scripts/a.sh'].map(mode)).toEqual([
      '600',
      '600',
      '700',
      '700',
    ]);
  });

  it('refuses a skill with a link out of it and leaves nothing behind', async () => {
    const source = writeSkill(makeTempDir('linked'), 'leaky');
    const secret = join(makeTempDir('secret'), 'key.txt');
    writeFileSync(secret, 'secret');
    mkdirSync(join(source, 'references'));
    symlinkSync(secret, join(source, 'references', 'key.txt'));
    await expect(installSkills({ home: temp.home, source })).rejects.toThrow(
      `${join(source, 'references', 'key.txt')} is a symbolic link to ${secret}, outside the skill`,
    );
    expect(readdirSync(skillsDir(temp.home))).toEqual([]);
    expect(existsSync(join(skillsDir(temp.home), 'leaky'))).toBe(false);
  });

  it('tells git URLs from folders', () => {
    for (const url of [
      'https://github.com/example/skills.git',
      'https://example.com/skills',
      'ssh://git@example.com/skills.git',
      'git://example.com/skills',
      'file:///srv/skills',
      'git@github.com:example/skills.git',
    ]) {
      expect([url, isGitUrl(url)]).toEqual([url, true]);
    }
    expect(isGitUrl(makeTempDir('folder'))).toBe(false);
    expect(isGitUrl('./my-skills')).toBe(false);
  });
});

describe('the hub', () => {
  const entry = (name: string, description: string): HubEntry => ({
    name,
    description,
    version: '1.0.0',
    source: `https://example.com/${name}.git`,
  });

  it('finds entries with every word of the query, those with a word in the name first', () => {
    const entries = [
      entry('write-report', 'Reports with evidence for charts.'),
      entry('chart-data', 'Turn a CSV file into a chart.'),
      entry('alpha', 'Nothing to see.'),
    ];
    expect(searchHub(entries, 'chart').map((found) => found.name)).toEqual(['chart-data', 'write-report']);
    expect(searchHub(entries, 'CSV chart').map((found) => found.name)).toEqual(['chart-data']);
    expect(searchHub(entries, 'zebra')).toEqual([]);
  });

  it("reads a local index, its relative sources relative to the index's folder", async () => {
    const folder = makeTempDir('hub');
    writeFileSync(
      join(folder, 'index.json'),
      JSON.stringify([
        { ...entry('local', 'A local one.'), source: 'skills/local' },
        entry('remote', 'A git one.'),
      ]),
    );
    expect((await readHubIndex(join(folder, 'index.json'))).map((found) => found.source)).toEqual([
      join(folder, 'skills', 'local'),
      'https://example.com/remote.git',
    ]);
  });
});
