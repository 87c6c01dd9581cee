import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startTelegramApiServer,
  type TelegramApiServer,
} from '../../../../test/support/channels/telegram-api-server.ts';
import { channelSealing } from '../../../../test/support/in-process/channel-sealing.ts';
import type { ChannelContext } from '../channel-adapter.ts';
import { ChannelSendError } from '../channel-send-error.ts';
import { telegramAdapter } from './telegram-adapter.ts';

// The Telegram adapter against the Bot API fixture over real HTTP: files out as multipart
// sendPhoto / sendDocument, and how each refusal is classified for the delivery queue.

let telegram: TelegramApiServer;
let context: ChannelContext;

beforeAll(async () => {
  telegram = await startTelegramApiServer();
  context = {
    id: 'chan_test',
    kind: 'telegram',
    config: { apiBaseUrl: telegram.url },
    secrets: { botToken: telegram.token },
    fetch,
    ...channelSealing('chan_test'),
  };
});
afterAll(() => telegram?.close());

const target = { chatId: 77, threadId: 5, replyTo: 12 };

describe('the Telegram adapter', () => {
  it('sends an image as a photo and any other file as a document, in the thread', async () => {
    const png = Buffer.from('89504e470d0a1a0a', 'hex');
    await telegramAdapter.send(
      context,
      target,
      {
        kind: 'file',
        name: 'shot.png',
        mediaType: 'image/png',
        base64: png.toString('base64'),
        caption: 'a screenshot',
      },
      'dlv_1:0',
    );
    await telegramAdapter.send(
      context,
      target,
      {
        kind: 'file',
        name: 'report.pdf',
        mediaType: 'application/pdf',
        base64: Buffer.from('%PDF').toString('base64'),
      },
      'dlv_2:0',
    );
    const [photo, document] = telegram.sent.slice(-2);
    expect(photo).toMatchObject({
      method: 'sendPhoto',
      chatId: '77',
      threadId: 5,
      replyTo: 12,
      caption: 'a screenshot',
    });
    expect(photo!.file).toMatchObject({ name: 'shot.png', type: 'image/png' });
    expect(photo!.file!.bytes.equals(png)).toBe(true);
    expect(document).toMatchObject({ method: 'sendDocument', file: { name: 'report.pdf' } });
  });

  it("classifies refusals: 429 retryable after Telegram's retry_after, 500 retryable, 400 permanent", async () => {
    const attempt = () => telegramAdapter.send(context, target, { kind: 'text', text: 'hello' }, 'dlv_3:0');
    telegram.failNext('sendMessage', 1, 429, 7);
    const limited = await attempt().catch((error: unknown) => error);
    expect(limited).toBeInstanceOf(ChannelSendError);
    expect(limited).toMatchObject({ retryable: true, retryAfterMs: 7000 });
    telegram.failNext('sendMessage', 1, 500);
    expect(await attempt().catch((error: unknown) => error)).toMatchObject({ retryable: true });
    telegram.failNext('sendMessage', 1, 400);
    expect(await attempt().catch((error: unknown) => error)).toMatchObject({ retryable: false });
    const wrongToken = { ...context, secrets: { botToken: '1:wrong' } };
    const refused = await telegramAdapter.test(wrongToken).catch((error: unknown) => error);
    expect(refused).toMatchObject({ retryable: false, message: 'telegram getMe: 401 Unauthorized' });
    expect(String((refused as Error).message)).not.toContain('1:wrong');
  });

  it('answers an unreachable platform as retryable, without the token in the message', async () => {
    const down = { ...context, config: { apiBaseUrl: 'http://127.0.0.1:9' } };
    const error = await telegramAdapter
      .send(down, target, { kind: 'text', text: 'x' }, 'dlv_4:0')
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ retryable: true });
    expect((error as Error).message).toMatch(/^telegram sendMessage: unreachable/);
    expect((error as Error).message).not.toContain(telegram.token);
  });
});
