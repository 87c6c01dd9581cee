import { readFileSync } from 'node:fs';
import { styleText } from 'node:util';
import type { Command } from 'commander';
import { resolveHome } from '../../core/home.ts';
import {
  AutonomyModeSchema,
  ChannelKindSchema,
  ChannelSenderStatusSchema,
  type ChannelSenderView,
  type ChannelView,
} from '../../protocol/index.ts';
import { CliError, checkedOption } from '../cli-error.ts';
import { addClientOptions, type ClientFlags, clientFromFlags } from '../gateway-client.ts';

const STATUS_COLORS = { ok: 'green', failing: 'red', disabled: 'gray' } as const;

export function channelLine(channel: ChannelView): string {
  const status = styleText(STATUS_COLORS[channel.status], channel.status.padEnd(8));
  const queued =
    channel.queuedDeliveries > 0 ? styleText('yellow', `  ${channel.queuedDeliveries} queued`) : '';
  const failed = channel.failedDeliveries > 0 ? styleText('red', `  ${channel.failedDeliveries} failed`) : '';
  const pending =
    channel.pendingSenders > 0 ? styleText('yellow', `  ${channel.pendingSenders} pending senders`) : '';
  const error = channel.lastError
    ? `\n    ${styleText('red', `last error (${channel.lastErrorAt}): ${channel.lastError}`)}`
    : '';
  return `${channel.id}  ${status} ${channel.kind.padEnd(9)} ${channel.name}${queued}${failed}${pending}${error}`;
}

function senderLine(sender: ChannelSenderView): string {
  const colors = { pending: 'yellow', allowed: 'green', blocked: 'gray' } as const;
  return `${sender.senderId.padEnd(14)} ${styleText(colors[sender.status], sender.status.padEnd(8))} ${sender.displayName}`;
}

const print = (flags: ClientFlags, value: unknown, text: string) =>
  process.stdout.write(flags.json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);

interface SecretFlags {
  secret?: string[];
  secretEnv?: string[];
  secretStdin?: string;
}

/**
 * The channel's secrets from `--secret-env NAME=VAR` (an environment variable), `--secret-stdin
 * NAME` (the first line of standard input) or `--secret NAME=VALUE` (visible to `ps`: for tests).
 * Never printed.
 */
export function readSecrets(
  flags: SecretFlags,
  env: NodeJS.ProcessEnv = process.env,
  stdin = () => readFileSync(0, 'utf8'),
): Record<string, string> {
  const secrets: Record<string, string> = {};
  const pair = (option: string, value: string) => {
    const at = value.indexOf('=');
    if (at < 1) throw new CliError(`${option}: give NAME=${option === '--secret' ? 'VALUE' : 'VARIABLE'}`, 2);
    return [value.slice(0, at), value.slice(at + 1)] as const;
  };
  for (const value of flags.secretEnv ?? []) {
    const [name, variable] = pair('--secret-env', value);
    const found = env[variable];
    if (!found)
      throw new CliError(`--secret-env ${name}: the environment variable ${variable} is not set`, 2);
    secrets[name] = found;
  }
  for (const value of flags.secret ?? []) {
    const [name, secret] = pair('--secret', value);
    secrets[name] = secret;
  }
  if (flags.secretStdin) {
    const line = stdin().split('\n')[0]?.trim();
    if (!line) throw new CliError(`--secret-stdin ${flags.secretStdin}: standard input was empty`, 2);
    secrets[flags.secretStdin] = line;
  }
  return secrets;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `--config name=value`, repeatable: settings that are not secret, as strings (the adapters read them). */
export function readConfig(values: string[] = []): Record<string, string> {
  const config: Record<string, string> = {};
  for (const value of values) {
    const at = value.indexOf('=');
    if (at < 1) throw new CliError(`--config ${value}: give NAME=VALUE (publicKey=<hex>)`, 2);
    config[value.slice(0, at)] = value.slice(at + 1);
  }
  return config;
}

/** `viber channels`: chat channels of the gateway and who may talk to them (devices.admin). */
export function registerChannelCommands(program: Command): void {
  const channels = program
    .command('channels')
    .description(
      'chat channels (Telegram, Slack, Discord, signed webhooks): add, list, test, remove; approve senders',
    );

  addClientOptions(channels.command('list'))
    .description('list channels with their status, last error, queued deliveries and pending senders')
    .action(async (flags: ClientFlags) => {
      const client = clientFromFlags(flags, resolveHome());
      const { channels: listed } = await client.call('channels.list');
      print(flags, listed, listed.length > 0 ? listed.map(channelLine).join('\n') : 'no channels');
    });

  addClientOptions(channels.command('add').argument('<kind>', 'telegram, slack, discord or webhook'))
    .description(
      'add a channel; secrets come from --secret-env or --secret-stdin and are never shown again.\n' +
        'telegram: --secret-env botToken=VAR [--receive webhook --secret-env webhookSecret=VAR]\n' +
        'slack:    --secret-env botToken=VAR --secret-env signingSecret=VAR\n' +
        'discord:  --config publicKey=<hex> --secret-env botToken=VAR\n' +
        'webhook:  --url <answers url> --secret-env signingSecret=VAR',
    )
    .requiredOption('--name <name>', 'what the board shows')
    .option('--viber <id>', 'run its tasks on this viber')
    .option('--env <id>', 'run its tasks in this environment')
    .option('--mode <mode>', 'autonomy mode of its tasks: always-ask, agent-decides or always-execute')
    .option('--api-base-url <url>', "the platform's API (a local Telegram Bot API server)")
    .option('--receive <how>', 'telegram: polling (default) or webhook')
    .option('--url <url>', 'webhook: where answers are posted')
    .option(
      '--config <name=value>',
      'any other setting, repeatable (discord: publicKey=<hex>; slack: botUserId=U...; telegram: pollTimeoutSeconds=25)',
      collect,
    )
    .option(
      '--secret <name=value>',
      'a secret on the command line (visible to ps; prefer the two below)',
      collect,
    )
    .option(
      '--secret-env <name=VARIABLE>',
      'a secret from an environment variable (botToken=TELEGRAM_TOKEN)',
      collect,
    )
    .option('--secret-stdin <name>', 'a secret from the first line of standard input')
    .action(
      async (
        kind: string,
        flags: ClientFlags &
          SecretFlags & {
            name: string;
            viber?: string;
            env?: string;
            mode?: string;
            apiBaseUrl?: string;
            receive?: string;
            url?: string;
            config?: string[];
          },
      ) => {
        const config = {
          ...readConfig(flags.config),
          ...(flags.apiBaseUrl ? { apiBaseUrl: flags.apiBaseUrl } : {}),
          ...(flags.receive ? { receive: flags.receive } : {}),
          ...(flags.url ? { url: flags.url } : {}),
        };
        const client = clientFromFlags(flags, resolveHome());
        const created = await client.call('channels.create', {
          body: {
            kind: checkedOption('<kind>', ChannelKindSchema, kind),
            name: flags.name,
            config,
            secrets: readSecrets(flags),
            ...(flags.viber ? { viberId: flags.viber } : {}),
            ...(flags.env ? { environmentId: flags.env } : {}),
            ...(flags.mode ? { mode: checkedOption('--mode', AutonomyModeSchema, flags.mode) } : {}),
          },
        });
        print(
          flags,
          created,
          `added ${created.kind} channel ${created.id} (${created.name}); webhook URL ${created.webhookUrl}`,
        );
      },
    );

  addClientOptions(channels.command('test').argument('<id>', 'channel id'))
    .description("ask the platform whether the channel's credentials work")
    .action(async (id: string, flags: ClientFlags) => {
      const client = clientFromFlags(flags, resolveHome());
      const result = await client.call('channels.test', { params: { channelId: id } });
      print(flags, result, `${result.ok ? 'ok' : 'failed'}: ${result.detail}`);
      if (!result.ok) process.exitCode = 1;
    });

  addClientOptions(channels.command('remove').argument('<id>', 'channel id'))
    .description('remove a channel with its senders, conversations and queued deliveries')
    .action(async (id: string, flags: ClientFlags) => {
      const client = clientFromFlags(flags, resolveHome());
      const removed = await client.call('channels.delete', { params: { channelId: id } });
      print(flags, removed, `removed ${id}`);
    });

  addClientOptions(channels.command('senders').argument('<id>', 'channel id'))
    .description('who wrote to the channel: pending (sent a pairing code), allowed, blocked')
    .option('--status <status>', 'only pending, allowed or blocked senders')
    .action(async (id: string, flags: ClientFlags & { status?: string }) => {
      const client = clientFromFlags(flags, resolveHome());
      const status = flags.status
        ? checkedOption('--status', ChannelSenderStatusSchema, flags.status)
        : undefined;
      const { senders } = await client.call('channels.senders', {
        params: { channelId: id },
        query: status ? { status } : {},
      });
      print(flags, senders, senders.length > 0 ? senders.map(senderLine).join('\n') : 'no senders');
    });

  addClientOptions(channels.command('deliveries').argument('<id>', 'channel id'))
    .description("the channel's recent answers out, with attempts and errors")
    .action(async (id: string, flags: ClientFlags) => {
      const client = clientFromFlags(flags, resolveHome());
      const { deliveries } = await client.call('channels.deliveries', { params: { channelId: id } });
      const lines = deliveries.map(
        (delivery) =>
          `${delivery.id}  ${delivery.status.padEnd(6)} ${delivery.dedupeKey}  attempts ${delivery.attempts}${delivery.lastError ? `  ${styleText('red', delivery.lastError)}` : ''}`,
      );
      print(flags, deliveries, lines.length > 0 ? lines.join('\n') : 'no deliveries');
    });

  for (const [command, route, verb] of [
    ['approve', 'channelSenders.approve', 'allowed'],
    ['block', 'channelSenders.block', 'blocked'],
  ] as const) {
    addClientOptions(channels.command(command).argument('[code]', 'the pairing code the sender was sent'))
      .description(
        command === 'approve'
          ? 'allow a sender: by its pairing code, or --channel and --sender'
          : 'block a sender: its messages are ignored',
      )
      .option('--channel <id>', 'the channel (with --sender)')
      .option('--sender <id>', "the sender's id on the platform (with --channel)")
      .action(
        async (code: string | undefined, flags: ClientFlags & { channel?: string; sender?: string }) => {
          const body = code
            ? { code }
            : flags.channel && flags.sender
              ? { channelId: flags.channel, senderId: flags.sender }
              : undefined;
          if (!body) throw new CliError('give the pairing code, or --channel and --sender', 2);
          const client = clientFromFlags(flags, resolveHome());
          const sender = await client.call(route, { body });
          print(flags, sender, `${verb} ${sender.displayName} (${sender.senderId}) on ${sender.channelId}`);
        },
      );
  }
}
