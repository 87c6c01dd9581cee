import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { OpenViberError } from '../core/errors.ts';
import { CliError } from './cli-error.ts';
import { registerEnvCommands } from './commands/env.ts';
import { registerGatewayCommand } from './commands/gateway.ts';
import { registerLoginLinkCommand } from './commands/login-link.ts';
import { registerRunCommand } from './commands/run.ts';
import { registerStartCommand } from './commands/start.ts';
import { registerStatusCommand } from './commands/status.ts';
import { registerTaskCommands } from './commands/task.ts';
import { registerTermCommands } from './commands/term.ts';
import { registerUpCommand } from './commands/up.ts';
import { registerViberCommands } from './commands/vibers.ts';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const program = new Command('viber')
  .description('OpenViber: turn this machine into a viber that runs AI agent tasks with real tools')
  .version(version)
  .showHelpAfterError('(run viber --help for usage)')
  .exitOverride();

registerUpCommand(program);
registerGatewayCommand(program);
registerLoginLinkCommand(program);
registerStartCommand(program);
registerRunCommand(program);
registerStatusCommand(program);
registerTaskCommands(program);
registerTermCommands(program);
registerViberCommands(program);
registerEnvCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  if (error instanceof CliError || OpenViberError.isInstance(error)) {
    process.stderr.write(`viber: ${error.message}\n`);
    process.exit(error instanceof CliError ? error.exitCode : 1);
  }
  throw error;
}
