import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  type DiscordPlatform,
  startDiscordPlatform,
} from '../../../../test/support/channels/discord-platform.ts';
import {
  type AdapterReceiver,
  startAdapterReceiver,
} from '../../../../test/support/in-process/adapter-receiver.ts';
import { channelSealing } from '../../../../test/support/in-process/channel-sealing.ts';
import type { ChannelContext, InboundApproval, InboundMessage } from '../channel-adapter.ts';
import { ChannelSendError } from '../channel-send-error.ts';
import { splitText } from '../split-text.ts';
import { discordAdapter } from './discord-adapter.ts';

let discord: DiscordPlatform;
let receiver: AdapterReceiver;
let context: ChannelContext;

const CHANNEL = '1600000000000000001';
const USER = '1700000000000000042';

beforeAll(async () => {
  discord = await startDiscordPlatform();
  context = {
    id: 'channel_discord',
    kind: 'discord',
    config: { apiBaseUrl: discord.apiBaseUrl, publicKey: discord.publicKey },
    secrets: { botToken: discord.botToken },
    fetch,
    ...channelSealing('channel_discord'),
  };
  receiver = await startAdapterReceiver(discordAdapter, () => context);
});

afterAll(async () => {
  await receiver?.close();
  await discord?.close();
});

const lastEvents = () => receiver.results.at(-1)!.events;

describe('discord receive: signatures', () => {
  test('answers a signed PING with a PONG', async () => {
    const response = await discord.sendInteraction(receiver.url, {
      type: 1,
      id: '1',
      application_id: discord.applicationId,
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ type: 1 });
  });

  test('refuses another key, a stale timestamp, a tampered body and missing headers', async () => {
    const command = discord.slashCommand({ channelId: CHANNEL, userId: USER, prompt: 'hi' });
    const forged = await discord.sendInteraction(receiver.url, command, { forge: true });
    expect(forged.status).toBe(401);
    expect(await forged.json()).toMatchObject({
      ok: false,
      error: { code: 'unauthorized', message: 'bad signature' },
    });
    expect(lastEvents()).toEqual([]);

    const stale = await discord.sendInteraction(receiver.url, command, {
      timestamp: Math.floor(Date.now() / 1000) - 301,
    });
    expect(stale.status).toBe(401);
    expect(((await stale.json()) as { error: { message: string } }).error.message).toMatch(/stale/);

    // A PING with a bad signature is refused too (Discord checks this when the endpoint is set).
    expect((await discord.sendInteraction(receiver.url, { type: 1 }, { forge: true })).status).toBe(401);

    const bare = await fetch(receiver.url, { method: 'POST', body: JSON.stringify(command) });
    expect(bare.status).toBe(401);

    const garbled = await fetch(receiver.url, {
      method: 'POST',
      headers: {
        'x-signature-ed25519': 'zz',
        'x-signature-timestamp': String(Math.floor(Date.now() / 1000)),
      },
      body: '{}',
    });
    expect(garbled.status).toBe(401);
  });
});

describe('discord receive: interactions', () => {
  test('a slash command is a message of its channel, answered "thinking..." at once', async () => {
    const command = discord.slashCommand({ channelId: CHANNEL, userId: USER, prompt: 'build the thing' }) as {
      id: string;
      token: string;
    };
    const response = await discord.sendInteraction(receiver.url, command);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ type: 5 });
    const event = lastEvents()[0] as InboundMessage;
    expect(event).toMatchObject({
      kind: 'message',
      eventId: command.id,
      senderId: USER,
      senderName: 'user0042',
      conversationKey: CHANNEL,
      text: 'build the thing',
      files: [],
    });
    expect(event.replyTarget).toMatchObject({ channelId: CHANNEL, applicationId: discord.applicationId });
    // The token lets anyone post as the bot: it is kept only sealed, and opens for the channel.
    const sealed = event.replyTarget.interactionToken as string;
    expect(JSON.stringify(event)).not.toContain(command.token);
    expect(context.open('interactionToken', sealed)).toBe(command.token);
    expect(Math.abs((event.replyTarget.interactionAt as number) - Date.now())).toBeLessThan(5 * 60_000);
  });

  test('a button press is an approval, taken without changing the message', async () => {
    const press = discord.buttonPress({
      channelId: CHANNEL,
      userId: USER,
      messageId: '1800000000000000001',
      customId: 'ov:y:task_abc-1:0123abcd',
    }) as { token: string };
    const response = await discord.sendInteraction(receiver.url, press);
    expect(await response.json()).toEqual({ type: 6 });
    const event = lastEvents()[0] as InboundApproval;
    expect(event).toMatchObject({
      kind: 'approval',
      conversationKey: CHANNEL,
      taskId: 'task_abc-1',
      approvalRef: '0123abcd',
      approved: true,
    });
    expect(event.replyTarget).toMatchObject({ channelId: CHANNEL, replyTo: '1800000000000000001' });
    // The acknowledgement is a follow-up only the presser sees (flags: ephemeral).
    const bodies: string[] = [];
    const recording: typeof fetch = (input, init) => {
      bodies.push(String(init?.body));
      return fetch(input, init);
    };
    const saved = context;
    context = { ...context, fetch: recording };
    const again = discord.buttonPress({
      channelId: CHANNEL,
      userId: USER,
      messageId: '1800000000000000001',
      customId: 'ov:y:task_abc-1:0123abcd',
    });
    await discord.sendInteraction(receiver.url, again);
    context = saved;
    const pressOf = (approval: InboundApproval) => approval.press!;
    // Stored with the event: the press's token only sealed.
    expect(JSON.stringify(lastEvents())).not.toContain((again as { token: string }).token);
    expect(
      await discordAdapter.answerPress!(
        { ...context, fetch: recording },
        pressOf(lastEvents()[0] as InboundApproval),
        {
          note: 'noted',
          decided: false,
          by: 'Alice',
        },
      ),
    ).toBe(true);
    expect(JSON.parse(bodies[0]!)).toMatchObject({ content: 'noted', flags: 64 });
    expect(bodies).toHaveLength(1);
    await discordAdapter.answerPress!(context, pressOf(event), {
      note: 'Approved shell (0123abcd).',
      decided: true,
      by: 'Alice',
    });
    expect(discord.messages.at(-1)).toMatchObject({
      where: `webhook:${press.token}`,
      content: 'Approved shell (0123abcd).',
    });
    // Decided: the prompt (the original message) loses its buttons and says what was decided.
    expect(discord.edits.at(-1)).toMatchObject({
      where: `webhook:${press.token}`,
      content: 'Approved shell (0123abcd), by Alice.',
      components: [],
    });

    await discord.sendInteraction(
      receiver.url,
      discord.buttonPress({
        channelId: CHANNEL,
        userId: USER,
        messageId: '1',
        customId: 'ov:n:task_abc-1:0123abcd',
      }),
    );
    expect((lastEvents()[0] as InboundApproval).approved).toBe(false);
  });

  test('other buttons, empty commands and unknown types carry nothing', async () => {
    await discord.sendInteraction(
      receiver.url,
      discord.buttonPress({ channelId: CHANNEL, userId: USER, messageId: '1', customId: 'someone-else' }),
    );
    expect(lastEvents()).toEqual([]);
    await discord.sendInteraction(
      receiver.url,
      discord.slashCommand({ channelId: CHANNEL, userId: USER, prompt: '  ' }),
    );
    expect(lastEvents()).toEqual([]);
    const modal = await discord.sendInteraction(receiver.url, { type: 5, id: '9' });
    expect(modal.status).toBe(400);
  });
});

describe('discord send', () => {
  const fresh = () => ({
    channelId: CHANNEL,
    applicationId: discord.applicationId,
    interactionToken: context.seal('interactionToken', 'interaction-fresh'),
    interactionAt: Date.now(),
  });

  test('while the interaction token is valid, answers are its follow-ups', async () => {
    await discordAdapter.send(context, fresh(), { kind: 'text', text: 'the answer' }, 'd1:0');
    expect(discord.messages.at(-1)).toMatchObject({
      where: 'webhook:interaction-fresh',
      content: 'the answer',
    });
  });

  test('after 15 minutes, answers are channel messages by the bot, replying where asked', async () => {
    const old = { ...fresh(), interactionAt: Date.now() - 15 * 60_000, replyTo: '1800000000000000007' };
    await discordAdapter.send(context, old, { kind: 'text', text: 'late answer' }, 'd2:0');
    expect(discord.messages.at(-1)).toMatchObject({
      where: CHANNEL,
      content: 'late answer',
      replyTo: '1800000000000000007',
    });
  });

  test('a token stored in the clear or sealed under another key is not used: the channel instead', async () => {
    await discordAdapter.send(
      context,
      { ...fresh(), interactionToken: 'interaction-fresh' },
      { kind: 'text', text: 'not by a clear token' },
      'd8:0',
    );
    expect(discord.messages.at(-1)).toMatchObject({ where: CHANNEL, content: 'not by a clear token' });
  });

  test('a follow-up Discord no longer takes falls back to the channel', async () => {
    await discordAdapter.send(
      context,
      { ...fresh(), applicationId: '999' },
      { kind: 'text', text: 'fallback' },
      'd3:0',
    );
    expect(discord.messages.at(-1)).toMatchObject({ where: CHANNEL, content: 'fallback' });
  });

  test('a long answer goes in parts of at most 2,000 characters', async () => {
    const long = Array.from({ length: 12 }, (_, i) => `${i} ${'word '.repeat(80)}`.trim()).join('\n');
    const parts = splitText(long, discordAdapter.maxTextLength);
    expect(parts.length).toBeGreaterThan(2);
    const before = discord.messages.length;
    for (const [index, text] of parts.entries())
      await discordAdapter.send(context, { channelId: CHANNEL }, { kind: 'text', text }, `d4:${index}`);
    const sent = discord.messages.slice(before);
    expect(sent.map((message) => message.content).join('\n')).toBe(long);
    expect(sent.every((message) => message.content.length <= 2_000 && message.where === CHANNEL)).toBe(true);
    // Over the limit unsplit, Discord refuses it: permanent.
    const tooLong = await discordAdapter
      .send(context, { channelId: CHANNEL }, { kind: 'text', text: 'x'.repeat(2_001) }, 'd5:0')
      .catch((e) => e);
    expect(tooLong).toMatchObject({ retryable: false });
    expect(tooLong.message).toMatch(/400 Invalid Form Body/);
  });

  test('no message resolves a mention: model output cannot ping @everyone', async () => {
    const bodies: string[] = [];
    const recording: typeof fetch = (input, init) => {
      bodies.push(String(init?.body));
      return fetch(input, init);
    };
    const watched = { ...context, fetch: recording };
    await discordAdapter.send(
      watched,
      { channelId: CHANNEL },
      { kind: 'text', text: '@everyone look' },
      'm1:0',
    );
    await discordAdapter.send(watched, fresh(), { kind: 'text', text: '@here look' }, 'm2:0');
    expect(bodies.map((body) => JSON.parse(body).allowed_mentions)).toEqual([{ parse: [] }, { parse: [] }]);
  });

  test('an approval prompt carries Approve and Deny buttons', async () => {
    await discordAdapter.send(
      context,
      fresh(),
      { kind: 'approval', text: 'Run shell?', taskId: 'task_9', approvalRef: 'deadbeef' },
      'd6:0',
    );
    const message = discord.messages.at(-1)!;
    const row = message.components![0] as { components: Array<{ label: string; custom_id: string }> };
    expect(row.components.map((button) => [button.label, button.custom_id])).toEqual([
      ['Approve', 'ov:y:task_9:deadbeef'],
      ['Deny', 'ov:n:task_9:deadbeef'],
    ]);
  });

  test('a file goes as multipart payload_json and files[0]', async () => {
    const file = {
      kind: 'file' as const,
      name: 'report.txt',
      mediaType: 'text/plain',
      base64: Buffer.from('report').toString('base64'),
      caption: 'the report',
    };
    await discordAdapter.send(context, { channelId: CHANNEL }, file, 'd7:0');
    expect(discord.messages.at(-1)).toMatchObject({
      where: CHANNEL,
      content: 'the report',
      files: ['report.txt'],
    });
    await discordAdapter.send(context, fresh(), file, 'd8:0');
    expect(discord.messages.at(-1)).toMatchObject({
      where: 'webhook:interaction-fresh',
      files: ['report.txt'],
    });
  });

  test('429 is retryable after retry_after (float seconds); 502 is retryable', async () => {
    discord.rateLimitNext(1, 1.25);
    const limited = await discordAdapter
      .send(context, { channelId: CHANNEL }, { kind: 'text', text: 'x' }, 'd9:0')
      .catch((e) => e);
    expect(limited).toBeInstanceOf(ChannelSendError);
    expect(limited).toMatchObject({ retryable: true, retryAfterMs: 1_250 });
    discord.failNext(1);
    const down = await discordAdapter
      .send(context, { channelId: CHANNEL }, { kind: 'text', text: 'x' }, 'd10:0')
      .catch((e) => e);
    expect(down).toMatchObject({ retryable: true });
    expect(down.message).toMatch(/502/);
  });

  test('a bad token is permanent and not named; a target without a channel too', async () => {
    const bad = { ...context, secrets: { botToken: 'wrong' } };
    const refused = await discordAdapter
      .send(bad, { channelId: CHANNEL }, { kind: 'text', text: 'x' }, 'd11:0')
      .catch((e) => e);
    expect(refused).toMatchObject({ retryable: false });
    expect(refused.message).toMatch(/401/);
    expect(refused.message).not.toContain('wrong');
    const nowhere = await discordAdapter
      .send(context, {}, { kind: 'text', text: 'x' }, 'd12:0')
      .catch((e) => e);
    expect(nowhere).toMatchObject({ retryable: false });
  });
});

describe('discord config and test', () => {
  test('test() asks users/@me', async () => {
    expect(await discordAdapter.test(context)).toBe('@openviber');
    await expect(discordAdapter.test({ ...context, secrets: { botToken: 'wrong' } })).rejects.toThrow(/401/);
  });

  test('checkConfig wants the public key in hex', () => {
    expect(discordAdapter.checkConfig({ publicKey: discord.publicKey }, ['botToken'])).toBeNull();
    expect(discordAdapter.checkConfig({}, ['botToken'])).toMatch(/^config.publicKey/);
    expect(discordAdapter.checkConfig({ publicKey: 'abc' }, ['botToken'])).toMatch(/^config.publicKey/);
    expect(discordAdapter.checkConfig({ publicKey: discord.publicKey, apiBaseUrl: 'x' }, [])).toMatch(
      /^config.apiBaseUrl/,
    );
  });
});
