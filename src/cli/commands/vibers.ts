import { styleText } from 'node:util';
import type { Command } from 'commander';
import { resolveHome } from '../../core/home.ts';
import { ViberPresenceSchema, type ViberView } from '../../protocol/index.ts';
import { checkedOption } from '../cli-error.ts';
import { addClientOptions, type ClientFlags, clientFromFlags } from '../gateway-client.ts';
import { addPageOptions, type PageFlags, printRows, readListPages } from '../list-pages.ts';
import { describeViber } from './viber-view.ts';

const PRESENCE_COLORS = { online: 'green', busy: 'cyan', offline: 'gray' } as const;

export function viberLine(viber: ViberView): string {
  const presence = styleText(PRESENCE_COLORS[viber.presence], viber.presence.padEnd(7));
  const platform = viber.info ? `${viber.info.platform} v${viber.info.version}` : '';
  return `${viber.id}  ${presence}  ${viber.name}  ${styleText('dim', platform)}`;
}

export function registerViberCommands(program: Command): void {
  const vibers = program
    .command('vibers')
    .description('register and inspect vibers (machines running the daemon)');

  addClientOptions(vibers.command('add').argument('<name>', 'human-readable name'))
    .description('register a viber and print the command that connects it (its token is shown once)')
    .action(async (name: string, flags: ClientFlags) => {
      const client = clientFromFlags(flags, resolveHome());
      const viber = await client.call('vibers.register', { body: { name } });
      if (flags.json) return void process.stdout.write(`${JSON.stringify(viber, null, 2)}\n`);
      const wsUrl = client.url('daemon.socket').replace(/^http/, 'ws');
      process.stdout.write(
        `registered ${viber.id} (${viber.name})\n` +
          `token (shown once): ${viber.token}\n\n` +
          `on that machine, save the token to a file only you can read and run:\n` +
          `  viber start --server ${wsUrl} --id ${viber.id} --token-file <file>\n` +
          `  (or pipe it in with --token -, or set OPENVIBER_VIBER_TOKEN)\n`,
      );
    });

  addPageOptions(addClientOptions(vibers.command('list')))
    .description('list vibers by name with their presence, a page at a time')
    .option('--presence <presence>', 'only vibers online, busy or offline')
    .option('--name <text>', 'only vibers whose name contains this')
    .action(async (flags: ClientFlags & PageFlags & { presence?: string; name?: string }) => {
      const filters = {
        ...(flags.presence
          ? { presence: checkedOption('--presence', ViberPresenceSchema, flags.presence) }
          : {}),
        ...(flags.name ? { q: flags.name } : {}),
      };
      const client = clientFromFlags(flags, resolveHome());
      const read = await readListPages(
        flags,
        (page) => client.call('vibers.list', { query: { ...filters, ...page } }),
        (page) => page.vibers,
      );
      printRows(read, flags.json, viberLine, 'no vibers registered');
    });

  addClientOptions(vibers.command('show').argument('<viberId>'))
    .description(
      'show a viber: presence, platform, capabilities, health, config validations (--json for all of it)',
    )
    .action(async (viberId: string, flags: ClientFlags) => {
      const viber = await clientFromFlags(flags, resolveHome()).call('vibers.get', {
        params: { id: viberId },
      });
      process.stdout.write(flags.json ? `${JSON.stringify(viber, null, 2)}\n` : `${describeViber(viber)}\n`);
    });

  addClientOptions(vibers.command('config-push').argument('<viberId>'))
    .description('ask a viber to pull and validate its configuration')
    .action(async (viberId: string, flags: ClientFlags) => {
      await clientFromFlags(flags, resolveHome()).call('vibers.configPush', { params: { id: viberId } });
      process.stdout.write(
        `config push sent to ${viberId}; see its validations with: viber vibers show ${viberId}\n`,
      );
    });
}
