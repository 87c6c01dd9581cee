import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelView } from '../../src/protocol/index.ts';
import {
  type ChannelStack,
  startChannelStack,
  stopChannelStack,
  taskIdIn,
} from '../support/channels/channel-stack.ts';
import {
  type DiscordMessage,
  type DiscordPlatform,
  startDiscordPlatform,
} from '../support/channels/discord-platform.ts';
import { FINAL_TEXT, lastMessage, userText } from '../support/e2e-fixtures.ts';
import type { ChatRequestBody, ScriptTurn } from '../support/openai-script.ts';
import { waitFor } from '../support/wait.ts';

// Issue 18, channels: Discord end to end. A real gateway and daemon (processes), the scripted
// OpenAI-compatible model, and a Discord fixture on 127.0.0.1: its REST API is what the gateway
// calls instead of discord.com, and it posts interactions (slash commands, button presses) to the
// gateway's webhook signed with Ed25519 as Discord does. Each test talks in a channel of its own.

const PUBLIC_URL = 'https://viber.example.test';
const LONG_ANSWER = Array.from({ length: 8 }, (_, i) => `Paragraph ${i}: ${'word '.repeat(100).trim()}`).join(
  '\n\n',
);

function script({ body }: { body: ChatRequestBody }): ScriptTurn {
  const said = userText(body);
  const last = said.split('\n').at(-1) ?? '';
  if (said.includes('list the files')) {
    return lastMessage(body)?.role === 'tool'
      ? { type: 'text', text: FINAL_TEXT }
      : { type: 'tool-calls', calls: [{ id: 'call_list', name: 'list_directory', input: { path: '.' } }] };
  }
  if (last.includes('long answer')) return { type: 'text', text: LONG_ANSWER };
  if (last.includes('what did I ask before')) {
    return {
      type: 'text',
      text: said.includes('first question about llamas') ? 'You asked about llamas.' : 'I do not know.',
    };
  }
  return { type: 'text', text: `Answer to: ${last}` };
}

let stack: ChannelStack;
let discord: DiscordPlatform;
let channel: ChannelView;
let webhook: string;
const ALICE = '1700000000000000042';
let nextChannel = 1_600_000_000_000_000_000n;
function newChannel(): string {
  nextChannel += 1n;
  return String(nextChannel);
}

/** `/ask prompt:<text>` in a channel; returns the interaction token its follow-ups go to. */
async function ask(channelId: string, prompt: string, userId = ALICE): Promise<string> {
  const command = discord.slashCommand({ channelId, userId, prompt }) as { token: string };
  const response = await discord.sendInteraction(webhook, command);
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ type: 5 });
  return command.token;
}

const followUpOf = (token: string) => (message: DiscordMessage) => message.where === `webhook:${token}`;

beforeAll(async () => {
  discord = await startDiscordPlatform();
  stack = await startChannelStack({ script, publicUrl: PUBLIC_URL, viberName: 'discord-viber' });
  channel = await stack.addChannel({
    kind: 'discord',
    name: 'discord server',
    config: { apiBaseUrl: discord.apiBaseUrl, publicKey: discord.publicKey },
    secrets: { botToken: discord.botToken },
    mode: 'always-ask',
  });
  webhook = stack.webhookOf(channel);
  // Alice pairs once, as a person does: asks, reads the code, an operator approves it.
  const token = await ask(newChannel(), 'hi');
  const reply = await discord.waitForMessage(
    (message) => followUpOf(token)(message) && /pairing code is/.test(message.content),
    'a code',
  );
  await stack.approvePairing(reply.content);
}, 60_000);

afterAll(() => stopChannelStack(stack, discord));

describe('a Discord channel', () => {
  it('keeps the bot token secret, tests it with users/@me and answers a PING', async () => {
    expect(channel).toMatchObject({ kind: 'discord', secrets: { botToken: { set: true } }, status: 'ok' });
    expect(JSON.stringify(channel)).not.toContain(discord.botToken);
    expect(await stack.api('POST', `/api/channels/${channel.id}/test`)).toEqual({
      ok: true,
      detail: '@openviber',
    });
    const pong = await discord.sendInteraction(webhook, {
      type: 1,
      id: '1',
      application_id: discord.applicationId,
    });
    expect(await pong.json()).toEqual({ type: 1 });
  });

  it('answers a slash command with a follow-up carrying the board link', async () => {
    const where = newChannel();
    const token = await ask(where, 'what is the weather');
    const answer = await discord.waitForMessage(
      (message) => followUpOf(token)(message) && message.content.startsWith('Answer to: what is the weather'),
      'the answer',
    );
    const taskId = taskIdIn(answer.content);
    expect(answer.content).toContain(`${PUBLIC_URL}/tasks/${taskId}`);
    expect((await stack.gateway.rest.getTask(taskId)).task).toMatchObject({
      status: 'completed',
      goal: 'what is the weather',
      options: { mode: 'always-ask' },
    });
  });

  it('a channel is one conversation: the next command continues it', async () => {
    const where = newChannel();
    const first = await ask(where, 'first question about llamas');
    await discord.waitForMessage(
      (message) => followUpOf(first)(message) && message.content.includes('Answer to: first'),
      'first answer',
    );
    const second = await ask(where, 'what did I ask before');
    const answer = await discord.waitForMessage(
      (message) => followUpOf(second)(message) && message.content.includes('llamas.'),
      'second',
    );
    expect(answer.content).toContain('You asked about llamas.');
  });

  it('asks for approval with buttons and runs the tool once Approve is pressed', async () => {
    const where = newChannel();
    const token = await ask(where, 'please list the files');
    const prompt = await discord.waitForMessage(
      (message) => followUpOf(token)(message) && message.components !== undefined,
      'a prompt',
    );
    expect(prompt.content).toContain('list_directory');
    const row = prompt.components![0] as { components: Array<{ label: string; custom_id: string }> };
    const approve = row.components.find((button) => button.label === 'Approve')!;
    const press = discord.buttonPress({
      channelId: where,
      userId: ALICE,
      messageId: prompt.id,
      customId: approve.custom_id,
      content: prompt.content,
    }) as {
      token: string;
    };
    const pressed = await discord.sendInteraction(webhook, press);
    expect(await pressed.json()).toEqual({ type: 6 });
    const answer = await discord.waitForMessage(
      (message) => followUpOf(token)(message) && message.content.startsWith(FINAL_TEXT),
      'answer',
    );
    expect(answer.content).toContain(`${PUBLIC_URL}/tasks/`);
    // The person who pressed is told, on the press's own token.
    await discord.waitForMessage(
      (message) => followUpOf(press.token)(message) && /^Approved list_directory/.test(message.content),
      'note',
    );
    // The prompt (the press's original message) shows the decision instead of its buttons.
    const edit = await waitFor(() => discord.edits.find(followUpOf(press.token)), {
      description: 'the edit',
    });
    expect(edit.components).toEqual([]);
    expect(edit.content).toMatch(
      /^The task wants to run list_directory[\s\S]*Approved list_directory \([0-9a-f]{8}\), by user0042\.$/,
    );
  });

  it('keeps interaction tokens out of the database file: only sealed', async () => {
    const token = await ask(newChannel(), 'where is my token');
    await discord.waitForMessage(
      (message) => followUpOf(token)(message) && message.content.includes('/tasks/'),
      'answer',
    );
    // The conversation, the event and the delivery queue all held it: none in the clear.
    const files = readdirSync(join(stack.gateway.home, 'gateway')).filter((name) =>
      name.startsWith('openviber.db'),
    );
    expect(files.length).toBeGreaterThan(0);
    for (const name of files) {
      expect(readFileSync(join(stack.gateway.home, 'gateway', name)).includes(token)).toBe(false);
    }
  });

  it('answers a blocked sender at once, only to them, instead of thinking forever', async () => {
    const mallory = '1700000000000000666';
    const first = await ask(newChannel(), 'let me in', mallory);
    await discord.waitForMessage(
      (message) => followUpOf(first)(message) && /pairing code/.test(message.content),
      'a code',
    );
    await stack.api('POST', '/api/channel-senders/block', { channelId: channel.id, senderId: mallory });
    const tasksBefore = (await stack.gateway.rest.listTasks()).length;
    const command = discord.slashCommand({ channelId: newChannel(), userId: mallory, prompt: 'again' });
    const response = await discord.sendInteraction(webhook, command);
    expect(await response.json()).toEqual({
      type: 4,
      data: { content: 'You are not allowed to use this bot.', flags: 64, allowed_mentions: { parse: [] } },
    });
    expect((await stack.gateway.rest.listTasks()).length).toBe(tasksBefore);
  });

  it('refuses a forged or stale signature and a replay, starts nothing and keeps serving', async () => {
    const where = newChannel();
    const tasksBefore = (await stack.gateway.rest.listTasks()).length;
    const command = discord.slashCommand({ channelId: where, userId: ALICE, prompt: 'forged order' });
    const forged = await discord.sendInteraction(webhook, command, { forge: true });
    expect(forged.status).toBe(401);
    expect(await forged.json()).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    const stale = await discord.sendInteraction(webhook, command, {
      timestamp: Math.floor(Date.now() / 1000) - 600,
    });
    expect(stale.status).toBe(401);
    expect((await stack.gateway.rest.listTasks()).length).toBe(tasksBefore);

    // The genuine one is taken once; the same signed interaction again is a replay.
    const timestamp = Math.floor(Date.now() / 1000);
    const genuine = discord.slashCommand({ channelId: where, userId: ALICE, prompt: 'only once please' }) as {
      token: string;
    };
    expect((await discord.sendInteraction(webhook, genuine, { timestamp })).status).toBe(200);
    const replay = await discord.sendInteraction(webhook, genuine, { timestamp });
    expect(replay.status).toBe(409);
    await discord.waitForMessage(
      (message) => followUpOf(genuine.token)(message) && message.content.startsWith('Answer to: only once'),
      'answer',
    );
    expect((await stack.gateway.rest.listTasks()).length).toBe(tasksBefore + 1);
    expect(discord.messages.filter(followUpOf(genuine.token))).toHaveLength(1);
    expect(discord.messages.some((message) => message.content.includes('forged order'))).toBe(false);
  });

  it('retries after a 429 with retry_after and delivers the answer once', async () => {
    discord.rateLimitNext(1, 0.5);
    const token = await ask(newChannel(), 'answer despite the rate limit');
    await discord.waitForMessage(
      (message) => followUpOf(token)(message) && message.content.includes('despite the rate limit'),
      'answer',
    );
    const { deliveries } = await stack.api<{ deliveries: Array<{ status: string; attempts: number }> }>(
      'GET',
      `/api/channels/${channel.id}/deliveries`,
    );
    expect(deliveries.find((delivery) => delivery.attempts === 2)).toMatchObject({ status: 'sent' });
    expect(discord.messages.filter(followUpOf(token))).toHaveLength(1);
  });

  it('splits a long answer into parts of at most 2,000 characters', async () => {
    const token = await ask(newChannel(), 'give me a long answer');
    await discord.waitForMessage(
      (message) => followUpOf(token)(message) && message.content.includes('/tasks/'),
      'the last part',
    );
    const parts = discord.messages.filter(followUpOf(token));
    expect(parts.length).toBeGreaterThan(2);
    for (const part of parts) expect(part.content.length).toBeLessThanOrEqual(2_000);
    expect(
      parts
        .map((part) => part.content)
        .join('\n\n')
        .startsWith(LONG_ANSWER),
    ).toBe(true);
  });
});
