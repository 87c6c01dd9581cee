import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelView } from '../../src/protocol/index.ts';
import { viberChannels } from '../support/channels/channel-stack.ts';
import { stopAllProcesses } from '../support/processes.ts';
import { removeTempDirs } from '../support/temp-dirs.ts';
import { type GatewayHandle, spawnGateway } from '../support/viber-stack.ts';

// Issue 18, channels: the CLI side (docs/channels.md, docs/cli.md). `viber gateway --public-url`
// shapes the webhook URLs; `viber channels add` takes any setting with `--config name=value`
// (Discord's public key) and its help names every kind.

const PUBLIC_URL = 'https://cli.example.test';
const PUBLIC_KEY = 'ab'.repeat(32);
let gateway: GatewayHandle;

const cli = (...args: string[]) => viberChannels(gateway, ...args);

beforeAll(async () => {
  gateway = await spawnGateway({ args: ['--public-url', `${PUBLIC_URL}/`] });
}, 60_000);

afterAll(async () => {
  await stopAllProcesses();
  removeTempDirs();
});

describe('viber channels add and viber gateway --public-url', () => {
  it('adds a Discord channel with --config publicKey and shows the public webhook URL', async () => {
    const added = await cli(
      'add',
      'discord',
      '--name',
      'discord from cli',
      '--config',
      `publicKey=${PUBLIC_KEY}`,
      '--config',
      'apiBaseUrl=http://127.0.0.1:9/api/v10',
      '--secret',
      'botToken=cli-discord-token',
      '--json',
    );
    expect(added.code).toBe(0);
    const channel = JSON.parse(added.stdout) as ChannelView;
    expect(channel).toMatchObject({
      kind: 'discord',
      config: { publicKey: PUBLIC_KEY, apiBaseUrl: 'http://127.0.0.1:9/api/v10' },
      secrets: { botToken: { set: true } },
      webhookUrl: `${PUBLIC_URL}/channels/${channel.id}/webhook`,
    });
    expect(added.stdout).not.toContain('cli-discord-token');
  });

  it('refuses a --config without a name and a Discord channel without its key, precisely', async () => {
    const bad = await cli('add', 'discord', '--name', 'x', '--config', 'nokey', '--secret', 'botToken=t');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--config nokey: give NAME=VALUE');
    const keyless = await cli('add', 'discord', '--name', 'x', '--secret', 'botToken=t');
    expect(keyless.code).toBe(1);
    expect(keyless.stderr).toContain("config.publicKey: the application's public key");
  });

  it('names every kind in its help', async () => {
    const help = await cli('add', '--help');
    expect(help.stdout).toContain('telegram, slack, discord or webhook');
    expect(help.stdout).toContain('--config <name=value>');
    expect(help.stdout).toMatch(/discord: +--config publicKey=<hex>/);
  });
});
