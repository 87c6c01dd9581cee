import type { Command } from 'commander';
import { startAgentTask } from '../../agent/index.ts';
import { loadConfig } from '../../core/config.ts';
import { resolveHome } from '../../core/home.ts';
import { startDaemon } from '../../daemon/index.ts';
import { CliError, parseIntegerOption } from '../cli-error.ts';
import { resolveCredentials, tokenFromFlags } from '../daemon-credentials.ts';
import { onShutdown } from '../shutdown.ts';

interface StartFlags {
  server?: string;
  id?: string;
  token?: string;
  tokenFile?: string;
  name?: string;
  heartbeatInterval?: number;
}

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('run the viber daemon: dial out to a gateway and run the tasks it sends')
    .option('--server <url>', 'gateway WebSocket URL, e.g. ws://127.0.0.1:6007/ws')
    .option('--id <viberId>', 'this viber id (from viber vibers add)')
    .option(
      '--token <token>',
      "this viber's token (from viber vibers add); `-` reads it from standard input. A literal value is visible to every local user in the process list",
    )
    .option('--token-file <path>', "read this viber's token from a file (its first line)")
    .option('--name <name>', 'human-readable name shown on the board')
    .option(
      '--heartbeat-interval <ms>',
      'heartbeat interval',
      parseIntegerOption('--heartbeat-interval', 100, 3_600_000),
    )
    .action(async (flags: StartFlags) => {
      const home = resolveHome();
      const token = await tokenFromFlags(flags, {
        stdin: process.stdin,
        warn: (line) => process.stderr.write(line),
      });
      const credentials = resolveCredentials(home, { ...flags, token });
      const daemon = await startDaemon({
        home,
        serverUrl: credentials.server,
        viberId: credentials.viberId,
        token: credentials.token,
        config: loadConfig(home),
        startAgentTask,
        ...(flags.name ? { name: flags.name } : {}),
        ...(flags.heartbeatInterval ? { heartbeatIntervalMs: flags.heartbeatInterval } : {}),
      });
      daemon.controller.on('connected', () => {
        process.stdout.write(`connected to ${credentials.server} as ${credentials.viberId}\n`);
      });
      daemon.controller.on('disconnected', (reason: string) => {
        process.stderr.write(
          `disconnected from the gateway (${reason || 'connection lost'}); reconnecting…\n`,
        );
      });
      daemon.controller.on('fatal', async (reason: string) => {
        await daemon.close();
        const error = new CliError(`the gateway refused this viber: ${reason}`);
        process.stderr.write(`viber: ${error.message}\n`);
        process.exit(error.exitCode);
      });
      onShutdown(() => daemon.close());
    });
}
