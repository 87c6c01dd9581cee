import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ConfigFileSchema, configPath } from '../../core/config.ts';
import { ensureDir, resolveHome } from '../../core/home.ts';
import { describeZodError } from '../../protocol/index.ts';
import { CliError } from '../cli-error.ts';
import {
  getKey,
  parseValue,
  readConfigDocument,
  redactConfigValue,
  setKey,
  splitKey,
  unsetKey,
  writeConfigDocument,
} from '../config-document.ts';

/** `viber config get|set|unset|path|edit`: config/config.json by dotted key, validated on every write. */
export function registerConfigCommands(program: Command): void {
  const config = program.command('config').description('read and change config/config.json');

  config
    .command('path')
    .description('print where config.json is')
    .action(() => {
      process.stdout.write(`${configPath(resolveHome())}\n`);
    });

  config
    .command('get')
    .argument('[key]', 'dotted key, e.g. agent.mode (default: the whole file)')
    .option('--show-secrets', 'print API keys and MCP credentials as they are')
    .description('print a value (secrets redacted)')
    .action((key: string | undefined, flags: { showSecrets?: boolean }) => {
      const data = readConfigDocument(resolveHome());
      const value = key === undefined ? data : getKey(data, key);
      if (value === undefined) throw new CliError(`${key} is not set in ${configPath(resolveHome())}`);
      const shown = flags.showSecrets ? value : redactConfigValue(value, key ? splitKey(key) : []);
      process.stdout.write(`${typeof shown === 'string' ? shown : JSON.stringify(shown, null, 2)}\n`);
    });

  config
    .command('set')
    .argument('<key>', 'dotted key, e.g. agent.mode')
    .argument('<value>', 'JSON when it parses (5, true, ["a"]), otherwise text')
    .description('set a value; the file is validated first and left unchanged when invalid')
    .action((key: string, text: string) => {
      const home = resolveHome();
      writeConfigDocument(home, setKey(readConfigDocument(home), key, parseValue(text)));
      process.stdout.write(`set ${key} in ${configPath(home)}\n`);
    });

  config
    .command('unset')
    .argument('<key>', 'dotted key, e.g. agent.mode')
    .description('remove a value')
    .action((key: string) => {
      const home = resolveHome();
      const { data, found } = unsetKey(readConfigDocument(home), key);
      if (!found) throw new CliError(`${key} is not set in ${configPath(home)}`);
      writeConfigDocument(home, data);
      process.stdout.write(`unset ${key} in ${configPath(home)}\n`);
    });

  config
    .command('edit')
    .description('open config.json in $VISUAL or $EDITOR; the edit is kept only if it is valid')
    .action(() => editConfig());
}

/**
 * The editor works on a copy beside the file; a valid copy replaces the file, an invalid one is
 * kept (and named) so the edit is not lost, while config.json stays as it was.
 */
function editConfig(): void {
  const home = resolveHome();
  const path = configPath(home);
  const editor = process.env.VISUAL?.trim() || process.env.EDITOR?.trim();
  if (!editor) throw new CliError('set VISUAL or EDITOR to the editor to use (for example EDITOR=nano)');
  ensureDir(home.config);
  const draft = `${path}.edit.json`;
  if (existsSync(path)) copyFileSync(path, draft);
  else writeFileSync(draft, '{}\n', { mode: 0o600 });
  // Through the shell, as git does: EDITOR may carry arguments ("code --wait").
  const result = spawnSync('/bin/sh', ['-c', `${editor} "$1"`, 'editor', draft], { stdio: 'inherit' });
  if (result.status !== 0) {
    rmSync(draft, { force: true });
    throw new CliError(
      `the editor (${editor}) exited with ${result.status ?? result.signal}; nothing changed`,
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(draft, 'utf8'));
  } catch (error) {
    throw new CliError(
      `${path}: invalid JSON: ${(error as Error).message}; nothing changed, the edit is in ${draft}`,
    );
  }
  const parsed = ConfigFileSchema.safeParse(data);
  if (!parsed.success)
    throw new CliError(
      `${path}: ${describeZodError(parsed.error)}; nothing changed, the edit is in ${draft}`,
    );
  renameSync(draft, path);
  process.stdout.write(`saved ${path}\n`);
}
