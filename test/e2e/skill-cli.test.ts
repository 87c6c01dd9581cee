import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { onCleanup, useE2eCleanup } from '../support/e2e-cleanup.ts';
import { sendJson, startLocalHttpServer } from '../support/local-http-server.ts';
import { REPO_ROOT, spawnViber } from '../support/processes.ts';
import { writeSkill } from '../support/skills.ts';
import { makeTempDir } from '../support/temp-dirs.ts';

// `viber skill …` as a person runs it: real processes, real files, a real git repository and a
// hub index served over HTTP on 127.0.0.1.

useE2eCleanup();

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

async function viber(home: string, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const child = spawnViber(['skill', ...args], {
    name: `skill-${args[0]}`,
    env: { OPENVIBER_HOME: home, NO_COLOR: '1', ...env },
  });
  const { code } = await child.exited;
  return { code, stdout: child.stdout, stderr: child.stderr };
}

const json = <T>(result: CliResult): T => JSON.parse(result.stdout) as T;

/** A git repository with two skills under skills/, committed. */
function gitRepository(): { path: string; commit: string } {
  const path = makeTempDir('skills-repo');
  writeSkill(join(path, 'skills'), 'alpha', {
    description: 'The alpha skill.',
    frontmatter: 'metadata:\n  version: "0.3"',
    files: { 'scripts/run.sh': 'echo alpha\n' },
  });
  writeSkill(join(path, 'skills'), 'beta', { description: 'The beta skill.' });
  writeFileSync(join(path, 'README.md'), 'Skills.\n');
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', ...args], {
      cwd: path,
      encoding: 'utf8',
    }).trim();
  git('init', '--quiet', '--initial-branch=main');
  git('add', '.');
  git('commit', '--quiet', '-m', 'two skills');
  return { path, commit: git('rev-parse', 'HEAD') };
}

describe('viber skill validate', () => {
  it('passes the bundled skills and prints each problem of an invalid one as file:line, exit 1', async () => {
    const home = makeTempDir('skill-home');
    const ok = await viber(home, ['validate', join(REPO_ROOT, 'skills')]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe(
      `ok  ${join(REPO_ROOT, 'skills', 'git-commit-message')}\nok  ${join(REPO_ROOT, 'skills', 'write-report')}\n2 valid, 0 invalid\n`,
    );

    const folder = join(makeTempDir('invalid'), 'Broken');
    mkdirSync(folder);
    writeFileSync(join(folder, 'SKILL.md'), '---\nname: Broken\ndescription:\nhomepage: x\n---\n');
    const bad = await viber(home, ['validate', folder]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe(
      [
        `${folder}/SKILL.md:2: name "Broken" is not a valid skill name: uppercase letters are not allowed`,
        `${folder}/SKILL.md:3: description has no value; it must be a string`,
        `${folder}/SKILL.md:4: unknown field "homepage": the specification allows only name, description, license, compatibility, metadata, allowed-tools; put other properties under metadata`,
        '0 valid, 1 invalid',
        '',
      ].join('\n'),
    );
    const asJson = await viber(home, ['validate', join(folder, 'SKILL.md'), '--json']);
    expect(asJson.code).toBe(1);
    expect(
      json<{ problems: { line: number }[] }[]>(asJson)[0]?.problems.map((problem) => problem.line),
    ).toEqual([2, 3, 4]);
    const missing = await viber(home, ['validate', makeTempDir('empty')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^viber: no SKILL\.md in /);
  });
});

describe('viber skill add, list, show and remove', () => {
  it('copies a skill folder into the home after validating it, and refuses an invalid one', async () => {
    const home = makeTempDir('skill-home');
    const source = writeSkill(makeTempDir('src'), 'notes', {
      description: 'Take notes.',
      files: { 'references/STYLE.md': 'Short.\n' },
    });
    const added = await viber(home, ['add', source]);
    expect(added.code).toBe(0);
    expect(added.stdout).toContain(`installed notes into ${join(home, 'skills', 'notes')}`);
    expect(readFileSync(join(home, 'skills', 'notes', 'references', 'STYLE.md'), 'utf8')).toBe('Short.\n');
    const record = JSON.parse(readFileSync(join(home, 'skills', 'notes', '.openviber-skill.json'), 'utf8'));
    expect(record).toMatchObject({ source });

    const listed = json<{ name: string; scope: string; status: string }[]>(
      await viber(home, ['list', '--json']),
    );
    expect(listed.map((skill) => [skill.name, skill.scope, skill.status])).toEqual([
      ['notes', 'home', 'AVAILABLE'],
      ['git-commit-message', 'bundled', 'AVAILABLE'],
      ['write-report', 'bundled', 'AVAILABLE'],
    ]);
    const shown = await viber(home, ['show', 'notes']);
    expect(shown.stdout).toContain('Take notes.');
    expect(shown.stdout).toContain(`source        ${source}`);
    expect(shown.stdout).toContain('files         references/STYLE.md');
    expect(shown.stdout).toContain('# notes\n\nFollow these steps.');

    const again = await viber(home, ['add', source]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe('viber: already installed: notes (add --force to replace)\n');
    writeFileSync(join(source, 'references', 'STYLE.md'), 'Shorter.\n');
    expect((await viber(home, ['add', source, '--force'])).code).toBe(0);
    expect(readFileSync(join(home, 'skills', 'notes', 'references', 'STYLE.md'), 'utf8')).toBe('Shorter.\n');

    const invalid = writeSkill(makeTempDir('src'), 'wrong', { frontmatter: 'tags: [a]' });
    const refused = await viber(home, ['add', invalid]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${invalid}/SKILL.md:4: unknown field "tags"`);
    expect(refused.stderr).toContain(`viber: not installed: ${invalid} has an invalid skill`);
    expect(existsSync(join(home, 'skills', 'wrong'))).toBe(false);

    const removed = await viber(home, ['remove', 'notes']);
    expect(removed.stdout).toBe(`removed notes (${join(home, 'skills', 'notes')})\n`);
    expect(existsSync(join(home, 'skills', 'notes'))).toBe(false);
    const bundled = await viber(home, ['remove', 'write-report']);
    expect(bundled.code).toBe(1);
    expect(bundled.stderr).toContain(
      `viber: write-report is a bundled skill (${join(REPO_ROOT, 'skills', 'write-report')}); only the skills in ${join(home, 'skills')} can be removed`,
    );
    expect((await viber(home, ['remove', 'nothing-here'])).stderr).toBe(
      `viber: no skill nothing-here in ${join(home, 'skills')}\n`,
    );
  });

  it('clones a git repository with git clone: all of its skills/, or one with --skill', async () => {
    const repo = gitRepository();
    const url = `file://${repo.path}`;
    const home = makeTempDir('skill-home');
    const all = await viber(home, ['add', url, '--json']);
    expect(all.code).toBe(0);
    expect(json<{ name: string; record: object }[]>(all)).toEqual([
      {
        name: 'alpha',
        directory: join(home, 'skills', 'alpha'),
        record: {
          source: url,
          path: 'skills/alpha',
          version: '0.3',
          commit: repo.commit,
          installedAt: expect.any(String),
        },
      },
      {
        name: 'beta',
        directory: join(home, 'skills', 'beta'),
        record: { source: url, path: 'skills/beta', commit: repo.commit, installedAt: expect.any(String) },
      },
    ]);
    expect(existsSync(join(home, 'skills', 'alpha', '.git'))).toBe(false);

    const other = makeTempDir('skill-home');
    expect((await viber(other, ['add', url, '--skill', 'beta'])).code).toBe(0);
    expect(
      json<{ name: string }[]>(await viber(other, ['list', '--json'])).map((skill) => skill.name),
    ).toEqual(['beta', 'git-commit-message', 'write-report']);
    const unknown = await viber(other, ['add', url, '--skill', 'gamma']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe(`viber: no skill gamma in ${url} (it has alpha, beta)\n`);
    const broken = await viber(other, ['add', `file://${makeTempDir('not-a-repo')}`]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/^viber: git clone file:\/\/\S+ failed: /);
  });

  it("lists a project's skills with --cwd and warns about invalid and shadowed ones", async () => {
    const home = makeTempDir('skill-home');
    const project = makeTempDir('project');
    writeSkill(join(project, '.agents', 'skills'), 'write-report', { description: 'Project reports.' });
    const broken = join(project, '.claude', 'skills', 'broken');
    mkdirSync(broken, { recursive: true });
    writeFileSync(join(broken, 'SKILL.md'), 'no frontmatter\n');
    writeSkill(join(project, '.claude', 'skills'), 'write-report', { description: 'Claude reports.' });
    const listed = await viber(home, ['list', '--cwd', project]);
    expect(listed.code).toBe(0);
    expect(listed.stdout.split('\n')[0]).toMatch(/^write-report\s+project\s+available\s+Project reports\.$/);
    expect(listed.stderr).toContain(
      `warning: skipped: ${broken}/SKILL.md:1: SKILL.md must start with YAML frontmatter`,
    );
    expect(listed.stderr).toContain(
      `warning: ${join(project, '.claude', 'skills', 'write-report')} is shadowed by ${join(project, '.agents', 'skills', 'write-report')}`,
    );
    expect(listed.stderr).toContain(
      `warning: ${join(REPO_ROOT, 'skills', 'write-report')} is shadowed by ${join(project, '.agents', 'skills', 'write-report')}`,
    );
    const shown = await viber(home, ['show', 'broken', '--cwd', project]);
    expect(shown.code).toBe(1);
    expect(shown.stderr).toBe(
      `${broken}/SKILL.md:1: SKILL.md must start with YAML frontmatter: a '---' line, the fields, then another '---' line\n` +
        'viber: skill broken is invalid and not used\n',
    );
  });
});

describe('viber skill search and add from a hub', () => {
  it('searches a hub index served over HTTP and installs from it, recording source and version', async () => {
    const repo = gitRepository();
    const local = writeSkill(makeTempDir('hub-folder'), 'gamma', { description: 'Gamma helps with graphs.' });
    const index = [
      {
        name: 'alpha',
        description: 'The alpha skill for graphs.',
        version: '2.1.0',
        source: `file://${repo.path}`,
        path: 'skills/alpha',
      },
      { name: 'gamma', description: 'Gamma helps with graphs.', version: '1.0.0', source: local },
    ];
    const hub = await startLocalHttpServer((_request, response) => sendJson(response, 200, index));
    onCleanup(() => hub.close());
    const indexUrl = `${hub.url}/index.json`;
    const home = makeTempDir('skill-home');
    const env = { OPENVIBER_SKILL_HUB: indexUrl };

    const found = await viber(home, ['search', 'graphs'], env);
    expect(found.code).toBe(0);
    expect(
      found.stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => line.split(/\s+/).slice(0, 2)),
    ).toEqual([
      ['alpha', 'v2.1.0'],
      ['gamma', 'v1.0.0'],
    ]);
    expect(json<{ name: string }[]>(await viber(home, ['search', 'gamma', '--json'], env))).toEqual([
      index[1],
    ]);
    expect((await viber(home, ['search', 'nothing'], env)).stdout).toBe(
      'no skill in the hub matches "nothing"\n',
    );

    const added = await viber(home, ['add', 'alpha'], env);
    expect(added.code).toBe(0);
    expect(added.stdout).toContain(`installed alpha v2.1.0 into ${join(home, 'skills', 'alpha')}`);
    const listed = json<{ name: string; version?: string; source?: string }[]>(
      await viber(home, ['list', '--json']),
    );
    expect(listed[0]).toMatchObject({ name: 'alpha', version: '2.1.0', source: `file://${repo.path}` });
    const shown = await viber(home, ['show', 'alpha']);
    expect(shown.stdout).toContain('version       2.1.0');
    expect(shown.stdout).toContain(
      `source        file://${repo.path} (skills/alpha) at ${repo.commit.slice(0, 12)}`,
    );
    expect(
      JSON.parse(readFileSync(join(home, 'skills', 'alpha', '.openviber-skill.json'), 'utf8')),
    ).toMatchObject({
      source: `file://${repo.path}`,
      path: 'skills/alpha',
      version: '2.1.0',
      commit: repo.commit,
      hub: indexUrl,
    });
    expect(hub.requests.every((request) => request.url === '/index.json')).toBe(true);

    const missing = await viber(home, ['add', 'delta'], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      `viber: no skill delta in the hub ${indexUrl} (try: viber skill search delta)\n`,
    );
  });

  it('reads the hub from skills.hub in config.json (a local index), and says when there is none', async () => {
    const home = makeTempDir('skill-home');
    const folder = makeTempDir('hub');
    writeSkill(join(folder, 'skills'), 'gamma', { description: 'Gamma.' });
    writeFileSync(
      join(folder, 'index.json'),
      JSON.stringify([{ name: 'gamma', description: 'Gamma.', version: '1.2.0', source: 'skills/gamma' }]),
    );
    const none = await viber(home, ['search', 'gamma']);
    expect(none.code).toBe(2);
    expect(none.stderr).toBe(
      'viber: no skill hub: set OPENVIBER_SKILL_HUB or skills.hub in config.json, or pass --hub\n',
    );
    mkdirSync(join(home, 'config'), { recursive: true });
    writeFileSync(
      join(home, 'config', 'config.json'),
      JSON.stringify({ skills: { hub: join(folder, 'index.json') } }),
    );
    expect((await viber(home, ['search', 'gamma'])).stdout).toMatch(/^gamma\s+v1\.2\.0\s+Gamma\.\n$/);
    const added = await viber(home, ['add', 'gamma']);
    expect(added.code).toBe(0);
    expect(
      JSON.parse(readFileSync(join(home, 'skills', 'gamma', '.openviber-skill.json'), 'utf8')),
    ).toMatchObject({
      source: join(folder, 'skills', 'gamma'),
      version: '1.2.0',
    });
    writeFileSync(join(folder, 'bad.json'), JSON.stringify([{ name: 'Bad Name', version: '1' }]));
    const bad = await viber(home, ['search', 'x', '--hub', join(folder, 'bad.json')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^viber: hub index .*bad\.json: /);
  });
});
