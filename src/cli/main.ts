import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { GatewayClientError } from '../client/index.ts';
import { OpenViberError } from '../core/errors.ts';
import { CliError, cliErrorOf } from './cli-error.ts';
import { registerChannelCommands } from './commands/channels.ts';
import { registerConfigCommands } from './commands/config-command.ts';
import { registerDeviceCommands } from './commands/devices.ts';
import { registerDoctorCommand } from './commands/doctor.ts';
import { registerEnvCommands } from './commands/env.ts';
import { registerGatewayCommand } from './commands/gateway.ts';
import { registerJobCommands } from './commands/jobs.ts';
import { registerLoginCommand } from './commands/login.ts';
import { registerLoginLinkCommand } from './commands/login-link.ts';
import { registerOnboardCommand } from './commands/onboard.ts';
import { registerPortCommands } from './commands/ports.ts';
import { registerRunCommand } from './commands/run.ts';
import { registerServiceCommands } from './commands/service.ts';
import { registerSkillCommands } from './commands/skill.ts';
import { registerStartCommand } from './commands/start.ts';
import { registerStatusCommand } from './commands/status.ts';
import { registerTaskCommands } from './commands/task.ts';
import { registerTermCommands } from './commands/term.ts';
import { registerUpCommand } from './commands/up.ts';
import { registerViberCommands } from './commands/vibers.ts';
import { trustCaFor } from './trust-ca.ts';

// Everything OpenViber writes is private to the user running it (files 0600, folders 0700): the
// gateway's database with its -wal and -shm, tokens and keys, session logs, usage, workspaces,
// memory, and what the agent's tools and commands create there (child processes inherit the
// mask). Explicit modes where those files are created cover in-process use (tests, embedding);
// the mask covers every writer, including libraries and commands OpenViber does not control.
process.umask(0o077);

// A reader that goes away (`viber vibers list --json | head -c 10`) is not a failure of the command:
// it has all it wanted, so stop quietly with status 0, as `cat` or `git log` do.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const program = new Command('viber')
  .description('OpenViber: turn this machine into a viber that runs AI agent tasks with real tools')
  .version(version)
  .showHelpAfterError('(run viber --help for usage)')
  .exitOverride()
  // A private CA for https:// and wss:// gateways, before any command connects: the command's own
  // `--ca FILE` where it has one, else OPENVIBER_CA_FILE (src/cli/trust-ca.ts).
  .hook('preAction', (_program, command) => trustCaFor(command.opts()));

registerUpCommand(program);
registerGatewayCommand(program);
registerLoginCommand(program);
registerLoginLinkCommand(program);
registerStartCommand(program);
registerRunCommand(program);
registerStatusCommand(program);
registerTaskCommands(program);
registerTermCommands(program);
registerViberCommands(program);
registerDeviceCommands(program);
registerChannelCommands(program);
registerEnvCommands(program);
registerJobCommands(program);
registerPortCommands(program);
registerSkillCommands(program);
registerOnboardCommand(program);
registerConfigCommands(program);
registerDoctorCommand(program);
registerServiceCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (caught) {
  if (caught instanceof CommanderError) process.exit(caught.exitCode);
  // Every failed gateway call, whichever command made it, becomes the same kind of one line.
  const error = GatewayClientError.isInstance(caught) ? cliErrorOf(caught) : caught;
  if (error instanceof CliError || OpenViberError.isInstance(error)) {
    process.stderr.write(`viber: ${error.message}\n`);
    process.exit(error instanceof CliError ? error.exitCode : 1);
  }
  throw error;
}
