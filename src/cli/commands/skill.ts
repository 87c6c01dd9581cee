import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { styleText } from 'node:util';
import type { Command } from 'commander';
import { toolProcessEnvironment } from '../../agent/credentials.ts';
import {
  BUNDLED_SKILLS_DIR,
  discoverSkills,
  formatProblem,
  type HubEntry,
  hubLocation,
  type InstalledSkill,
  installSkills,
  isGitUrl,
  loadSkill,
  looksLikeSkill,
  readHubIndex,
  removeSkill,
  SKILL_FILE,
  SkillInstallError,
  type SkillProblem,
  searchHub,
  skillRoots,
} from '../../agent/skills/index.ts';
import { type ConfigFile, loadConfig } from '../../core/config.ts';
import { resolveHome } from '../../core/home.ts';
import { CliError } from '../cli-error.ts';
import { describeSkill, hubLine, skillLine, skillRow } from './skill-lines.ts';

interface JsonFlag {
  json?: boolean;
}

const SKILL_NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;

function print(json: boolean | undefined, value: unknown, human: () => string): void {
  process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
}

/** The skills a task of this viber gets (working in `cwd`, when given), with what is wrong. */
function discover(cwd: string | undefined) {
  const home = resolveHome();
  return discoverSkills(
    skillRoots({ home, bundledDir: BUNDLED_SKILLS_DIR, ...(cwd ? { cwd: resolve(cwd) } : {}) }),
  );
}

/** What the viber's commands would get: requirements are checked against it. */
function commandEnv(config: ConfigFile): NodeJS.ProcessEnv {
  return toolProcessEnvironment(process.env, config.agent?.env);
}

function warn(line: string): void {
  process.stderr.write(`${styleText('yellow', 'warning:')} ${line}\n`);
}

/** `viber skill …`: the viber's Agent Skills (docs/skills.md). Works on this machine's home. */
export function registerSkillCommands(program: Command): void {
  const skill = program
    .command('skill')
    .description('list, show, validate, add and remove Agent Skills (SKILL.md folders), and search a hub');

  skill
    .command('list')
    .description(
      "list the skills this viber's tasks get: the home's, then a project's (--cwd), then the bundled ones",
    )
    .option(
      '--cwd <dir>',
      'also the skills of a task working in this folder (.agents/skills, .claude/skills)',
    )
    .option('--json', 'print JSON')
    .action((flags: JsonFlag & { cwd?: string }) => {
      const env = commandEnv(loadConfig(resolveHome()));
      const discovery = discover(flags.cwd);
      for (const invalid of discovery.invalid) {
        for (const problem of invalid.problems) warn(`skipped: ${formatProblem(problem)}`);
      }
      for (const { skill: hidden, by } of discovery.shadowed) {
        warn(`${hidden.directory} is shadowed by ${by.directory} (the first skill of a name wins)`);
      }
      const rows = discovery.skills.map((found) => skillRow(found, env));
      print(flags.json, rows, () => (rows.length > 0 ? rows.map(skillLine).join('\n') : 'no skills'));
    });

  skill
    .command('show')
    .argument('<name>')
    .description('show a skill: where it is, its health, its fields, its files and its instructions')
    .option('--cwd <dir>', 'look in the skills of a task working in this folder too')
    .option('--json', 'print JSON')
    .action((name: string, flags: JsonFlag & { cwd?: string }) => {
      const env = commandEnv(loadConfig(resolveHome()));
      const discovery = discover(flags.cwd);
      const found = discovery.skills.find((candidate) => candidate.name === name);
      if (!found) {
        const invalid = discovery.invalid.find((candidate) => candidate.folder === name);
        if (invalid) {
          for (const problem of invalid.problems) process.stderr.write(`${formatProblem(problem)}\n`);
          throw new CliError(`skill ${name} is invalid and not used`);
        }
        throw new CliError(`no skill named ${name} (see: viber skill list)`);
      }
      const row = skillRow(found, env);
      print(flags.json, { ...row, manifest: found.manifest, instructions: found.body }, () =>
        describeSkill(row, found),
      );
    });

  skill
    .command('validate')
    .argument('[path]', 'a skill folder, its SKILL.md, or a folder of skills', '.')
    .description(
      'check skills against the Agent Skills specification; each problem as file:line (exit 1 if any)',
    )
    .option('--json', 'print JSON')
    .action((path: string, flags: JsonFlag) => {
      const results = validatePath(path);
      const invalid = results.filter((result) => result.problems.length > 0);
      print(flags.json, results, () =>
        [
          ...results.map((result) =>
            result.problems.length === 0
              ? `${styleText('green', 'ok')}  ${result.path}`
              : result.problems.map(formatProblem).join('\n'),
          ),
          `${results.length - invalid.length} valid, ${invalid.length} invalid`,
        ].join('\n'),
      );
      if (invalid.length > 0) process.exitCode = 1;
    });

  skill
    .command('add')
    .argument('<source>', 'a skill folder, a git URL, or the name of a skill in the hub')
    .description(
      "install skills into this viber's home (validated first; a repository's skills/ whole or --skill)",
    )
    .option('--skill <name>', 'only this skill of a source that holds several')
    .option('--force', 'replace an installed skill of the same name')
    .option(
      '--hub <url-or-path>',
      'the hub index for a name (default: OPENVIBER_SKILL_HUB, then skills.hub in config.json)',
    )
    .option('--json', 'print JSON')
    .action(async (source: string, flags: JsonFlag & { skill?: string; force?: boolean; hub?: string }) => {
      const home = resolveHome();
      const common = {
        home,
        ...(flags.skill ? { skill: flags.skill } : {}),
        ...(flags.force ? { force: true } : {}),
      };
      let installed: InstalledSkill[];
      try {
        if (existsSync(source) || isGitUrl(source)) {
          installed = await installSkills({ ...common, source });
        } else if (SKILL_NAME.test(source)) {
          const { entry, location } = await findInHub(source, loadConfig(home), flags.hub);
          installed = await installSkills({
            ...common,
            source: entry.source,
            ...(entry.path ? { path: entry.path } : {}),
            version: entry.version,
            hub: location,
          });
        } else {
          throw new CliError(`${source} is not a folder, a git URL or a skill name`, 2);
        }
      } catch (error) {
        if (!(error instanceof SkillInstallError)) throw error;
        for (const problem of error.problems) process.stderr.write(`${formatProblem(problem)}\n`);
        throw new CliError(error.message);
      }
      print(flags.json, installed, () =>
        [
          ...installed.map(
            (item) =>
              `installed ${item.name}${item.record.version ? ` v${item.record.version}` : ''} into ${item.directory}`,
          ),
          styleText(
            'dim',
            'new tasks get it now; a running daemon reports it after its next config push (viber vibers config-push <viberId>) or restart',
          ),
        ].join('\n'),
      );
    });

  skill
    .command('remove')
    .argument('<name>')
    .description("remove a skill from this viber's home (bundled and project skills are not the home's)")
    .action((name: string) => {
      const directory = removeSkill(resolveHome(), name, BUNDLED_SKILLS_DIR);
      process.stdout.write(`removed ${name} (${directory})\n`);
    });

  skill
    .command('search')
    .argument('<query...>', 'words that must all be in the name or description')
    .description('search the skill hub (OPENVIBER_SKILL_HUB, skills.hub in config.json, or --hub)')
    .option('--hub <url-or-path>', 'the hub index to search')
    .option('--json', 'print JSON')
    .action(async (words: string[], flags: JsonFlag & { hub?: string }) => {
      const query = words.join(' ');
      const { entries } = await readHub(loadConfig(resolveHome()), flags.hub);
      const matches = searchHub(entries, query);
      print(flags.json, matches, () =>
        matches.length > 0 ? matches.map(hubLine).join('\n') : `no skill in the hub matches "${query}"`,
      );
    });
}

async function readHub(config: ConfigFile, flag: string | undefined) {
  const location = hubLocation(process.env, config, flag);
  if (!location) {
    throw new CliError(
      'no skill hub: set OPENVIBER_SKILL_HUB or skills.hub in config.json, or pass --hub',
      2,
    );
  }
  return { location, entries: await readHubIndex(location) };
}

async function findInHub(
  name: string,
  config: ConfigFile,
  flag: string | undefined,
): Promise<{ entry: HubEntry; location: string }> {
  const { location, entries } = await readHub(config, flag);
  const entry = entries.find((candidate) => candidate.name === name);
  if (!entry) throw new CliError(`no skill ${name} in the hub ${location} (try: viber skill search ${name})`);
  return { entry, location };
}

interface ValidationResult {
  path: string;
  name?: string;
  problems: SkillProblem[];
}

/** One result per skill under `path`: a skill folder, its SKILL.md, or a folder of skills. */
function validatePath(input: string): ValidationResult[] {
  const path = resolve(input);
  if (!existsSync(path)) throw new CliError(`${input} does not exist`);
  const folder = statSync(path).isDirectory() ? path : dirname(path);
  if (!statSync(path).isDirectory() && basename(path) !== SKILL_FILE) {
    throw new CliError(`${input} is not a folder or a ${SKILL_FILE}`);
  }
  const container = looksLikeSkill(folder)
    ? undefined
    : existsSync(join(folder, 'skills')) && !looksLikeSkill(folder)
      ? join(folder, 'skills')
      : folder;
  const folders =
    container === undefined
      ? [folder]
      : readdirSync(container)
          .filter((name) => !name.startsWith('.') && looksLikeSkill(join(container, name)))
          .sort()
          .map((name) => join(container, name));
  if (folders.length === 0) {
    throw new CliError(`no ${SKILL_FILE} in ${input}, nor in a folder under it (or under its skills/)`);
  }
  return folders.map((skillFolder) => {
    const loaded = loadSkill(
      skillFolder,
      'home',
      container === undefined ? undefined : realpathSync(container),
    );
    return loaded.ok
      ? { path: skillFolder, name: loaded.skill.name, problems: [] }
      : { path: skillFolder, problems: loaded.problems };
  });
}
