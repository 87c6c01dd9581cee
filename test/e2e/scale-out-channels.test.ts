import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ChannelView } from '../../src/protocol/index.ts';
import { pairingCodeIn } from '../support/channels/channel-stack.ts';
import { startTelegramApiServer, type TelegramSent } from '../support/channels/telegram-api-server.ts';
import { onCleanup, startModelServer, useE2eCleanup } from '../support/e2e-cleanup.ts';
import { threeGateways } from '../support/scale-out-stack.ts';
import { spawnViberFor } from '../support/viber-stack.ts';
import { waitFor } from '../support/wait.ts';

// Issue 18, channels across gateways: three gateway processes on one PostgreSQL and Redis, the
// daemon on A, one Telegram bot. One gateway at a time polls the bot; every gateway hears each
// task change, and each answer still reaches the chat exactly once; an update posted to two
// gateways' webhooks is acted on once.

useE2eCleanup();

describe('channels on several gateways', { timeout: 240_000 }, () => {
  it('polls a bot from one gateway and answers each message exactly once', async () => {
    const model = await startModelServer({
      script: ({ body }) => ({ type: 'text', text: `echo ${body.messages.length}` }),
    });
    const telegram = await startTelegramApiServer();
    onCleanup(() => telegram.close());
    // One master key for the deployment: a secret sealed on B opens on A and C.
    const [a, b, c] = await threeGateways(1_000, {
      OPENVIBER_MASTER_KEY: randomBytes(32).toString('base64'),
    });
    const daemon = await spawnViberFor(a!, { modelBaseURL: model.baseURL, name: 'scaled' });

    const create = (name: string, config: Record<string, unknown>, secrets: Record<string, string>) =>
      b!.rest.client.call('channels.create', {
        body: {
          kind: 'telegram',
          name,
          config: { apiBaseUrl: telegram.url, ...config },
          secrets,
          viberId: daemon.viberId,
        },
      });
    const channel: ChannelView = await create(
      'scaled bot',
      { pollTimeoutSeconds: 2 },
      { botToken: telegram.token },
    );
    const sentTo = (chatId: string) => telegram.sent.filter((sent: TelegramSent) => sent.chatId === chatId);

    telegram.pushMessage({ chatId: 1, from: { id: 11, first_name: 'Eve' }, text: 'hi' });
    const code = pairingCodeIn(
      (await telegram.waitForSent((sent) => sent.chatId === '1', 'a pairing code')).text!,
    );
    await c!.rest.client.call('channelSenders.approve', { body: { code } });
    const answered = () => sentTo('1').filter((sent) => sent.text?.includes('/tasks/'));
    for (const [index, text] of ['one', 'two', 'three'].entries()) {
      telegram.pushMessage({ chatId: 1, from: { id: 11, first_name: 'Eve' }, text });
      await waitFor(() => answered().length > index, { description: `the answer to ${text}` });
    }
    const tasks = await a!.rest.listTasks();
    expect(tasks.filter((task) => task.viberId === daemon.viberId)).toHaveLength(3);
    // Each answer once, though three gateways heard each task end.
    const answers = answered();
    expect(answers).toHaveLength(3);
    expect(new Set(answers.map((sent) => /\/tasks\/(\S+)/.exec(sent.text!)![1])).size).toBe(3);
    // The later tasks carried the conversation: more messages reached the model each time.
    expect(answers.map((sent) => sent.text!.split('\n')[0])).toEqual(['echo 2', 'echo 4', 'echo 6']);

    // Webhook mode: the same update posted to two gateways is acted on once.
    const hooked = await create(
      'hooked bot',
      { receive: 'webhook' },
      { botToken: telegram.token, webhookSecret: 'hook-secret-for-three' },
    );
    const update = telegram.takeUpdate(
      telegram.pushMessage({ chatId: 2, from: { id: 22, first_name: 'Finn' }, text: 'hello' }),
    );
    const post = (url: string, body: Record<string, unknown>) =>
      telegram.postUpdate(`${url}/channels/${hooked.id}/webhook`, body, 'hook-secret-for-three');
    const statuses = await Promise.all([post(a!.url, update), post(c!.url, update)]);
    expect(statuses.map((response) => response.status)).toEqual([200, 200]);
    const later = telegram.takeUpdate(
      telegram.pushMessage({ chatId: 2, from: { id: 22, first_name: 'Finn' }, text: 'again' }),
    );
    await post(b!.url, later);
    await waitFor(() => sentTo('2').length >= 2, { description: 'two pairing codes for chat 2' });
    expect(sentTo('2')).toHaveLength(2);
    expect(channel.id).not.toBe(hooked.id);
  });
});
