import type { ChannelConfig } from '../../../protocol/index.ts';
import type {
  ChannelAdapter,
  ChannelContext,
  InboundEvent,
  InboundFile,
  OutboundMessage,
  ReplyTarget,
} from '../channel-adapter.ts';
import { ChannelSendError } from '../channel-send-error.ts';
import { sameSecret } from '../channel-signature.ts';
import {
  callTelegram,
  downloadTelegramFile,
  type TelegramMessage,
  type TelegramUpdate,
  type TelegramUser,
} from './telegram-api.ts';

/** Telegram's limit on one message's text, in characters. */
const MAX_TEXT = 4096;
/** How long one getUpdates waits for an update, in seconds (a channel's `pollTimeoutSeconds` overrides). */
const POLL_TIMEOUT_SECONDS = 25;
const SECRET_HEADER = 'x-telegram-bot-api-secret-token';

const ok = { status: 200, body: { ok: true } };

/**
 * Telegram over the Bot API (docs/channels.md, "Telegram"): long polling with getUpdates (the
 * default) or a webhook (`receive: "webhook"`, registered with setWebhook and checked by its
 * secret token header), replies in the same chat and forum topic, Approve/Deny buttons answered by
 * callback queries, files both ways.
 */
export const telegramAdapter: ChannelAdapter = {
  kind: 'telegram',
  maxTextLength: MAX_TEXT,
  requiredSecrets: ['botToken'],

  checkConfig(config, secretNames) {
    const receive = config.receive ?? 'polling';
    if (receive !== 'polling' && receive !== 'webhook')
      return 'config.receive: must be "polling" or "webhook"';
    if (receive === 'webhook' && !secretNames.includes('webhookSecret')) {
      return 'secrets.webhookSecret: webhook mode needs a secret token for the X-Telegram-Bot-Api-Secret-Token header';
    }
    return checkBaseUrl(config);
  },

  pollingEnabled: (config) => (config.receive ?? 'polling') === 'polling',

  async poll(context, offset, signal) {
    const timeout = Number(context.config.pollTimeoutSeconds ?? POLL_TIMEOUT_SECONDS);
    const updates = await callTelegram<TelegramUpdate[]>(
      context,
      'getUpdates',
      {
        timeout,
        allowed_updates: ['message', 'callback_query'],
        ...(offset !== null ? { offset: Number(offset) } : {}),
      },
      signal,
    );
    const last = updates.at(-1);
    return {
      events: updates.flatMap((update) => eventsOf(update)),
      offset: last ? String(last.update_id + 1) : offset,
    };
  },

  async register(context, webhookUrl) {
    if (context.config.receive !== 'webhook') {
      // Polling and a registered webhook exclude each other at Telegram: drop any old webhook.
      await callTelegram(context, 'deleteWebhook', {});
      return;
    }
    await callTelegram(context, 'setWebhook', {
      url: webhookUrl,
      secret_token: context.secrets.webhookSecret,
      allowed_updates: ['message', 'callback_query'],
    });
  },

  async receive(context, request) {
    const expected = context.secrets.webhookSecret;
    const given = request.headers.get(SECRET_HEADER) ?? '';
    if (!expected || !sameSecret(given, expected)) {
      return {
        events: [],
        response: {
          status: 401,
          body: { ok: false, error: { code: 'unauthorized', message: `bad ${SECRET_HEADER}` } },
        },
      };
    }
    let update: TelegramUpdate;
    try {
      update = JSON.parse(request.rawBody) as TelegramUpdate;
    } catch {
      return {
        events: [],
        response: { status: 400, body: { ok: false, error: { code: 'bad_request', message: 'not JSON' } } },
      };
    }
    if (typeof update?.update_id !== 'number') {
      return {
        events: [],
        response: {
          status: 400,
          body: { ok: false, error: { code: 'bad_request', message: 'no update_id' } },
        },
      };
    }
    return { events: eventsOf(update), response: ok };
  },

  async send(context, target, message) {
    const chatId = target.chatId;
    if (typeof chatId !== 'string' && typeof chatId !== 'number') {
      throw new ChannelSendError('telegram: the reply target has no chatId', { retryable: false });
    }
    const place = {
      chat_id: chatId,
      ...(typeof target.threadId === 'number' ? { message_thread_id: target.threadId } : {}),
      ...(typeof target.replyTo === 'number'
        ? { reply_parameters: { message_id: target.replyTo, allow_sending_without_reply: true } }
        : {}),
    };
    await sendTo(context, place, message);
  },

  async answerPress(context, press, { note, decided, by }) {
    // The notice first: Telegram shows a spinner on the button until it is answered.
    await callTelegram(context, 'answerCallbackQuery', {
      callback_query_id: press.callbackQueryId,
      text: note.slice(0, 200),
    });
    if (decided) {
      // The prompt keeps its text, followed by the decision; its buttons go (no reply_markup).
      const place = { chat_id: press.chatId, message_id: press.messageId };
      const decision = `${note.replace(/\.$/, '')}, by ${by}.`;
      if (typeof press.text === 'string') {
        const text = `${press.text}\n\n${decision}`.slice(0, MAX_TEXT);
        await callTelegram(context, 'editMessageText', { ...place, text });
      } else {
        await callTelegram(context, 'editMessageReplyMarkup', {
          ...place,
          reply_markup: { inline_keyboard: [] },
        });
      }
    }
    return true;
  },

  targetFor(conversationKey) {
    const match = /^(-?\d{1,20})(?::(\d{1,12}))?$/.exec(conversationKey);
    if (!match) return undefined;
    return { chatId: Number(match[1]), ...(match[2] ? { threadId: Number(match[2]) } : {}) };
  },

  async fetchFile(context, file, maxBytes) {
    if (file.size !== undefined && file.size > maxBytes) {
      throw new ChannelSendError(`telegram file ${file.name}: ${file.size} bytes, over ${maxBytes}`, {
        retryable: false,
      });
    }
    const found = await callTelegram<{ file_path?: string; file_size?: number }>(context, 'getFile', {
      file_id: file.ref,
    });
    if (!found.file_path) throw new ChannelSendError('telegram getFile: no file_path', { retryable: false });
    return downloadTelegramFile(context, found.file_path, maxBytes);
  },

  async test(context) {
    const me = await callTelegram<TelegramUser>(context, 'getMe', {});
    return me.username ? `@${me.username}` : (me.first_name ?? String(me.id));
  },
};

async function sendTo(
  context: ChannelContext,
  place: Record<string, unknown>,
  message: OutboundMessage,
): Promise<void> {
  switch (message.kind) {
    case 'text':
      await callTelegram(context, 'sendMessage', { ...place, text: message.text });
      return;
    case 'approval': {
      const data = (answer: 'y' | 'n') => `${answer}:${message.taskId}:${message.approvalRef}`;
      await callTelegram(context, 'sendMessage', {
        ...place,
        text: message.text,
        reply_markup: {
          inline_keyboard: [
            [
              { text: 'Approve', callback_data: data('y') },
              { text: 'Deny', callback_data: data('n') },
            ],
          ],
        },
      });
      return;
    }
    case 'file': {
      const photo = /^image\/(png|jpeg|gif|webp)$/.test(message.mediaType);
      const form = new FormData();
      for (const [key, value] of Object.entries(place)) {
        form.set(key, typeof value === 'object' ? JSON.stringify(value) : String(value));
      }
      if (message.caption) form.set('caption', message.caption.slice(0, 1024));
      const blob = new Blob([Buffer.from(message.base64, 'base64')], { type: message.mediaType });
      form.set(photo ? 'photo' : 'document', blob, message.name);
      await callTelegram(context, photo ? 'sendPhoto' : 'sendDocument', form);
      return;
    }
  }
}

/** What one update means for the service: a message, a button press, or nothing we handle. */
function eventsOf(update: TelegramUpdate): InboundEvent[] {
  const eventId = String(update.update_id);
  const query = update.callback_query;
  if (query?.message && typeof query.data === 'string') {
    const match = /^([yn]):([^:]*):([0-9a-f]{8})$/.exec(query.data);
    if (!match) return [];
    return [
      {
        kind: 'approval',
        eventId,
        ...who(query.from),
        ...where(query.message, false),
        taskId: match[2] || null,
        approvalRef: match[3]!,
        approved: match[1] === 'y',
        press: {
          callbackQueryId: query.id,
          chatId: query.message.chat.id,
          messageId: query.message.message_id,
          ...(typeof query.message.text === 'string' ? { text: query.message.text } : {}),
        },
      },
    ];
  }
  const message = update.message;
  if (!message?.from || message.from.is_bot) return [];
  const files = filesOf(message);
  const text = message.text ?? message.caption ?? '';
  if (!text && files.length === 0) return [];
  return [{ kind: 'message', eventId, ...who(message.from), ...where(message, true), text, files }];
}

function who(user: TelegramUser): { senderId: string; senderName: string } {
  const name = [user.first_name, user.last_name].filter(Boolean).join(' ');
  return {
    senderId: String(user.id),
    senderName: user.username ? `${name || user.username} (@${user.username})` : name || String(user.id),
  };
}

/** One conversation per chat, or per forum topic; answers reply to the message that asked. */
function where(
  message: TelegramMessage,
  replyToIt: boolean,
): { conversationKey: string; replyTarget: ReplyTarget } {
  const thread = message.is_topic_message ? message.message_thread_id : undefined;
  return {
    conversationKey: thread !== undefined ? `${message.chat.id}:${thread}` : String(message.chat.id),
    replyTarget: {
      chatId: message.chat.id,
      ...(thread !== undefined ? { threadId: thread } : {}),
      ...(replyToIt ? { replyTo: message.message_id } : {}),
    },
  };
}

function filesOf(message: TelegramMessage): InboundFile[] {
  const files: InboundFile[] = [];
  const photo = message.photo?.at(-1); // the largest size Telegram made
  if (photo) {
    files.push({
      ref: photo.file_id,
      name: `photo-${message.message_id}.jpg`,
      mediaType: 'image/jpeg',
      ...(photo.file_size !== undefined ? { size: photo.file_size } : {}),
    });
  }
  const document = message.document;
  if (document) {
    files.push({
      ref: document.file_id,
      name: document.file_name ?? `file-${message.message_id}`,
      mediaType: document.mime_type ?? 'application/octet-stream',
      ...(document.file_size !== undefined ? { size: document.file_size } : {}),
    });
  }
  return files;
}

function checkBaseUrl(config: ChannelConfig): string | null {
  const base = config.apiBaseUrl;
  if (base === undefined) return null;
  if (typeof base !== 'string' || !/^https?:\/\//.test(base))
    return 'config.apiBaseUrl: must be an http(s) URL';
  return null;
}
