import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { resolveHome } from '../../core/home.ts';
import { CliError, parseIntegerOption } from '../cli-error.ts';
import { readCredentials } from '../daemon-credentials.ts';
import { findOnPath, renderUnit, SERVICES, unitDir, unitName } from '../systemd-units.ts';
import { DEFAULT_GATEWAY_PORT } from './gateway.ts';

interface ServiceFlags {
  dryRun?: boolean;
  port: number;
}

/** `viber service install|uninstall|status`: the gateway and the daemon as systemd user units. */
export function registerServiceCommands(program: Command): void {
  const service = program
    .command('service')
    .description('run the gateway and the daemon as systemd user services (Linux)');
  service
    .command('install')
    .description('write the units and enable them (systemctl --user), or print the commands to run')
    .option('--dry-run', 'print the units, write nothing')
    .option('--port <port>', 'gateway port', parseIntegerOption('--port', 0, 65535), DEFAULT_GATEWAY_PORT)
    .action((flags: ServiceFlags) => {
      installServices(flags);
    });
  service
    .command('uninstall')
    .description('stop and disable the units and remove their files')
    .action(() => uninstallServices());
  service
    .command('status')
    .description('whether each unit is installed and running')
    .action(() => serviceStatus());
}

const write = (line: string) => process.stdout.write(`${line}\n`);

export function installServices(flags: ServiceFlags): void {
  const home = resolveHome();
  const units = SERVICES.map((name) => ({
    name,
    file: join(unitDir(), unitName(name)),
    text: renderUnit(name, { home: home.root, port: flags.port }),
  }));
  if (flags.dryRun) {
    for (const unit of units) write(`# ${unit.file}\n${unit.text}`);
    return;
  }
  if (process.platform !== 'linux')
    throw new CliError(
      'viber service manages systemd user units (Linux); on macOS see docs/first-run.md (launchd)',
    );
  mkdirSync(unitDir(), { recursive: true });
  for (const unit of units) {
    writeFileSync(unit.file, unit.text, { mode: 0o644 });
    write(`wrote ${unit.file}`);
  }
  if (!readCredentials(home).token)
    write(
      `note: the daemon needs this machine paired first: viber login --server http://127.0.0.1:${flags.port} (until then ${unitName('daemon')} restarts and fails)`,
    );
  systemctl(
    [['daemon-reload'], ['enable', '--now', ...units.map((unit) => unitName(unit.name))]],
    `logs: journalctl --user -u ${unitName('gateway')} -u ${unitName('daemon')}`,
  );
}

function uninstallServices(): void {
  const files = SERVICES.map((name) => join(unitDir(), unitName(name))).filter((file) => existsSync(file));
  if (files.length === 0) {
    write(`no OpenViber units in ${unitDir()}`);
    return;
  }
  systemctl([['disable', '--now', ...SERVICES.map(unitName)]], '');
  for (const file of files) {
    rmSync(file);
    write(`removed ${file}`);
  }
  systemctl([['daemon-reload']], '');
}

function serviceStatus(): void {
  const manager = findOnPath('systemctl');
  for (const name of SERVICES) {
    const file = join(unitDir(), unitName(name));
    if (!existsSync(file)) {
      write(`${unitName(name)}: not installed (viber service install)`);
      continue;
    }
    const state = manager
      ? spawnSync(manager, ['--user', 'is-active', unitName(name)], { encoding: 'utf8' }).stdout.trim() ||
        'unknown'
      : 'unknown (no systemctl)';
    const execStart = readFileSync(file, 'utf8').match(/^ExecStart=(.*)$/m)?.[1] ?? '?';
    write(`${unitName(name)}: installed at ${file}, ${state}; runs ${execStart}`);
  }
}

/**
 * Runs `systemctl --user` commands when a user manager answers; otherwise prints them, so a
 * container or an SSH session without a user bus still gets the units and knows what to run.
 */
function systemctl(commands: string[][], afterwards: string): void {
  const manager = findOnPath('systemctl');
  const reachable =
    manager !== undefined &&
    spawnSync(manager, ['--user', 'show-environment'], { stdio: 'ignore' }).status === 0;
  if (!reachable) {
    write('systemctl --user is not available here; run:');
    for (const command of commands) write(`  systemctl --user ${command.join(' ')}`);
    if (afterwards) write(afterwards);
    return;
  }
  for (const command of commands) {
    const result = spawnSync(manager, ['--user', ...command], { encoding: 'utf8' });
    if (result.status !== 0)
      throw new CliError(`systemctl --user ${command.join(' ')} failed: ${(result.stderr || '').trim()}`);
    write(`ran systemctl --user ${command.join(' ')}`);
  }
  if (afterwards) write(afterwards);
}
