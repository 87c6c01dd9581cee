import { basename } from 'node:path';
import { styleText } from 'node:util';
import type { Command } from 'commander';
import type { GatewayClient } from '../../client/index.ts';
import { resolveHome } from '../../core/home.ts';
import { type ListedPort, PAGE_LIMITS, type ViberView } from '../../protocol/index.ts';
import { CliError, parseIntegerOption } from '../cli-error.ts';
import { addClientOptions, type ClientFlags, clientFromFlags } from '../gateway-client.ts';

/** One port as `viber ports list` prints it: port, status, pid, command, where. */
export function portLine(port: ListedPort): string {
  const status = port.httpStatus
    ? styleText('green', `HTTP ${port.httpStatus}`.padEnd(9))
    : port.answers
      ? styleText('yellow', 'answers'.padEnd(9))
      : styleText('red', 'silent'.padEnd(9));
  const where = port.environmentId ?? port.taskId ?? port.ownership;
  // Paths shortened to their last part, so the program and its script both show (--json has them whole).
  const command = port.command
    .split(' ')
    .map((part) => (part.startsWith('/') ? basename(part) : part))
    .join(' ')
    .slice(0, 70);
  return `${String(port.port).padEnd(6)} ${status} ${String(port.pid).padEnd(8)} ${command}  ${styleText('dim', `${port.address} · ${where}`)}`;
}

/** The viber an argument names: its id, or a unique name (ignoring case). */
async function resolveViber(client: GatewayClient, given: string): Promise<ViberView> {
  const { vibers } = await client.call('vibers.list', { query: { limit: PAGE_LIMITS.max } });
  const exact = vibers.find((viber) => viber.id === given);
  if (exact) return exact;
  const named = vibers.filter((viber) => viber.name.toLowerCase() === given.toLowerCase());
  if (named.length === 1) return named[0]!;
  if (named.length > 1)
    throw new CliError(
      `${named.length} vibers are named "${given}": give the id (${named.map((viber) => viber.id).join(', ')})`,
    );
  throw new CliError(`no viber "${given}" (list them with viber status)`);
}

export function registerPortCommands(program: Command): void {
  const ports = program
    .command('ports')
    .description("services the vibers' work listens on, opened through the gateway (docs/ports.md)");

  addClientOptions(
    ports.command('list').argument('[viber]', 'viber id or name (default: every online viber)'),
  )
    .description('list the listening ports of a viber’s tasks, terminals and workspaces')
    .action(async (viber: string | undefined, flags: ClientFlags) => {
      const client = clientFromFlags(flags, resolveHome());
      const vibers = viber
        ? [await resolveViber(client, viber)]
        : (await client.call('vibers.list', { query: { limit: PAGE_LIMITS.max } })).vibers.filter(
            (candidate) => candidate.presence !== 'offline',
          );
      const answers = [];
      for (const target of vibers)
        answers.push(await client.call('ports.list', { params: { id: target.id } }));
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(viber ? answers[0] : answers, null, 2)}\n`);
        return;
      }
      if (vibers.length === 0) {
        process.stdout.write('no viber is online\n');
        return;
      }
      for (const [index, answer] of answers.entries()) {
        const name = vibers[index]!.name;
        process.stdout.write(`${styleText('bold', `${name} (${answer.viberId})`)}\n`);
        if (answer.unavailable) process.stdout.write(`  ${answer.unavailable}\n`);
        else if (answer.ports.length === 0) process.stdout.write('  no ports\n');
        for (const port of answer.ports) process.stdout.write(`  ${portLine(port)}\n`);
      }
    });

  addClientOptions(
    ports
      .command('open')
      .argument('<viber>', 'viber id or name')
      .argument('<port>', 'the port', parseIntegerOption('port', 1, 65_535)),
  )
    .description('print a short-lived URL that opens the port through the gateway (keep it secret)')
    .option(
      '--ttl <seconds>',
      'how long the URL works (60-86400, default 3600)',
      parseIntegerOption('--ttl', 60, 86_400),
    )
    .action(async (viber: string, port: number, flags: ClientFlags & { ttl?: number }) => {
      const client = clientFromFlags(flags, resolveHome());
      const target = await resolveViber(client, viber);
      const opened = await client.call('ports.open', {
        params: { id: target.id, port },
        body: flags.ttl ? { ttlSeconds: flags.ttl } : {},
      });
      // The gateway as this CLI reaches it: the one it named may sit behind another address.
      const url = new URL(opened.path, client.baseUrl).toString();
      if (flags.json) process.stdout.write(`${JSON.stringify({ ...opened, url }, null, 2)}\n`);
      else process.stdout.write(`${url}\n${styleText('dim', `until ${opened.expiresAt}`)}\n`);
    });
}
