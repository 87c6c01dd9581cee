import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WaitForRecord, waitForRecord } from './recorded.ts';

/**
 * The Telegram Bot API as the tests see it, on 127.0.0.1: the methods a bot calls (getMe,
 * getUpdates with long polling, sendMessage, sendDocument, sendPhoto, answerCallbackQuery, getFile
 * and the file download, setWebhook, deleteWebhook) at `<url>/bot<token>/<method>`, with JSON or
 * multipart bodies, answering Telegram's `{ok, result}` envelope. A test pushes updates (messages,
 * button presses) as a user would, reads what the bot sent, and makes methods fail (429 with
 * `retry_after`, 500) as Telegram does when it rate-limits or is down.
 */

export interface TelegramSent {
  method: string;
  chatId: string;
  text: string | undefined;
  threadId: number | undefined;
  replyTo: number | undefined;
  /** The inline keyboard's buttons as `[text, callback_data]`. */
  buttons: Array<[string, string]>;
  file?: { name: string; bytes: Buffer; type: string };
  caption?: string;
  messageId: number;
}

export interface TelegramUserFixture {
  id: number;
  first_name: string;
  username?: string;
}

export interface TelegramApiServer {
  /** What a channel's `apiBaseUrl` is set to. */
  url: string;
  token: string;
  readonly sent: TelegramSent[];
  /** Every method call, in order (including failed ones). */
  readonly calls: string[];
  readonly callbackAnswers: Array<{ id: string; text: string | undefined }>;
  readonly webhooks: Array<{ url: string; secretToken: string | undefined }>;
  /** editMessageText and editMessageReplyMarkup calls: the message, its new text and buttons. */
  readonly edits: Array<{
    method: string;
    chatId: string;
    messageId: number;
    text: string | undefined;
    buttons: Array<[string, string]>;
  }>;
  /** A user writes in a chat (a forum topic when `threadId` is given); returns the update id. */
  pushMessage(message: {
    chatId: number;
    from: TelegramUserFixture;
    text?: string;
    threadId?: number;
    caption?: string;
    document?: { name: string; mimeType: string; bytes: Buffer };
    photo?: { bytes: Buffer };
  }): number;
  /** A user presses an inline button of a message the bot sent. */
  pushCallback(press: { from: TelegramUserFixture; sent: TelegramSent; data: string }): number;
  /** The update as Telegram would post it to a webhook (and keeps it out of getUpdates). */
  takeUpdate(updateId: number): Record<string, unknown>;
  /** POSTs an update to a webhook as Telegram does, with the secret token it was registered with. */
  postUpdate(webhookUrl: string, update: Record<string, unknown>, secretToken: string): Promise<Response>;
  /** The next `count` calls of `method` (any method: '*') fail with `status`; 429 carries `retryAfter`. */
  failNext(method: string, count: number, status: 429 | 500 | 400, retryAfterSeconds?: number): void;
  /** The first message the bot sent that `predicate` holds for, once there is one. */
  waitForSent: WaitForRecord<TelegramSent>;
  close(): Promise<void>;
}

export async function startTelegramApiServer(
  token = '123456:TEST-bot-token-secret',
): Promise<TelegramApiServer> {
  const sent: TelegramSent[] = [];
  const calls: string[] = [];
  const callbackAnswers: TelegramApiServer['callbackAnswers'] = [];
  const webhooks: TelegramApiServer['webhooks'] = [];
  const edits: TelegramApiServer['edits'] = [];
  const updates: Array<Record<string, unknown> & { update_id: number }> = [];
  const files = new Map<string, Buffer>();
  const failures: Array<{ method: string; count: number; status: number; retryAfter: number | undefined }> =
    [];
  const waiters = new Set<() => void>();
  let nextUpdate = 1000;
  let nextMessage = 1;
  let nextFile = 1;
  const wake = () => {
    for (const waiter of [...waiters]) waiter();
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent)
        reply(response, 500, { ok: false, error_code: 500, description: String(error) });
      else response.destroy();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    const download = /^\/file\/bot([^/]+)\/(.+)$/.exec(path);
    if (download) {
      const bytes = download[1] === token ? files.get(decodeURIComponent(download[2]!)) : undefined;
      if (!bytes) return reply(response, 404, { ok: false, error_code: 404, description: 'Not Found' });
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      response.end(bytes);
      return;
    }
    const match = /^\/bot([^/]+)\/(\w+)$/.exec(path);
    if (!match) return reply(response, 404, { ok: false, error_code: 404, description: 'Not Found' });
    const method = match[2]!;
    calls.push(method);
    if (match[1] !== token)
      return reply(response, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
    const failure = failures.find(
      (entry) => entry.count > 0 && (entry.method === method || entry.method === '*'),
    );
    if (failure) {
      failure.count -= 1;
      return reply(response, failure.status, {
        ok: false,
        error_code: failure.status,
        description:
          failure.status === 429
            ? `Too Many Requests: retry after ${failure.retryAfter}`
            : 'Internal Server Error',
        ...(failure.status === 429 ? { parameters: { retry_after: failure.retryAfter ?? 1 } } : {}),
      });
    }
    const fields = await readFields(request, body);
    const result = await call(method, fields, request, response);
    if (result !== undefined) reply(response, 200, { ok: true, result });
  }

  async function call(
    method: string,
    fields: Record<string, unknown>,
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<unknown> {
    switch (method) {
      case 'getMe':
        return { id: 4242, is_bot: true, first_name: 'Viber Test Bot', username: 'viber_test_bot' };
      case 'getUpdates': {
        const offset = Number(fields.offset ?? 0);
        // Updates before the offset are confirmed: Telegram forgets them.
        while (updates.length > 0 && updates[0]!.update_id < offset) updates.shift();
        const timeoutMs = Math.min(Number(fields.timeout ?? 0), 30) * 1000;
        if (updates.length === 0 && timeoutMs > 0) {
          await new Promise<void>((resolve) => {
            const done = () => {
              clearTimeout(timer);
              waiters.delete(done);
              resolve();
            };
            const timer = setTimeout(done, timeoutMs);
            waiters.add(done);
            request.once('close', done);
            response.once('close', done);
          });
        }
        if (response.destroyed || response.writableEnded) return undefined;
        return updates.filter((update) => update.update_id >= offset);
      }
      case 'sendMessage':
      case 'sendDocument':
      case 'sendPhoto': {
        const markup =
          typeof fields.reply_markup === 'string' ? JSON.parse(fields.reply_markup) : fields.reply_markup;
        const keyboard = (
          markup as { inline_keyboard?: Array<Array<{ text: string; callback_data: string }>> }
        )?.inline_keyboard;
        const replyParameters =
          typeof fields.reply_parameters === 'string'
            ? JSON.parse(fields.reply_parameters)
            : fields.reply_parameters;
        const upload = fields.document ?? fields.photo;
        const record: TelegramSent = {
          method,
          chatId: String(fields.chat_id),
          text: typeof fields.text === 'string' ? fields.text : undefined,
          threadId: fields.message_thread_id !== undefined ? Number(fields.message_thread_id) : undefined,
          replyTo: (replyParameters as { message_id?: number } | undefined)?.message_id,
          buttons: (keyboard ?? []).flat().map((button) => [button.text, button.callback_data]),
          ...(typeof fields.caption === 'string' ? { caption: fields.caption } : {}),
          ...(upload instanceof File
            ? {
                file: {
                  name: upload.name,
                  type: upload.type,
                  bytes: Buffer.from(await upload.arrayBuffer()),
                },
              }
            : {}),
          messageId: nextMessage++,
        };
        if (method === 'sendMessage' && (record.text ?? '').length > 4096) {
          reply(response, 400, {
            ok: false,
            error_code: 400,
            description: 'Bad Request: message is too long',
          });
          return undefined;
        }
        sent.push(record);
        return {
          message_id: record.messageId,
          chat: { id: Number(record.chatId) },
          date: 0,
          text: record.text,
        };
      }
      case 'editMessageText':
      case 'editMessageReplyMarkup': {
        const target = sent.find(
          (one) => one.chatId === String(fields.chat_id) && one.messageId === Number(fields.message_id),
        );
        if (!target) {
          reply(response, 400, {
            ok: false,
            error_code: 400,
            description: 'Bad Request: message to edit not found',
          });
          return undefined;
        }
        const markup = fields.reply_markup as
          | { inline_keyboard?: Array<Array<{ text: string; callback_data: string }>> }
          | undefined;
        const buttons = (markup?.inline_keyboard ?? [])
          .flat()
          .map((b): [string, string] => [b.text, b.callback_data]);
        // Without reply_markup, editMessageText removes the inline keyboard.
        if (method === 'editMessageText') target.text = String(fields.text);
        target.buttons = buttons;
        edits.push({
          method,
          chatId: target.chatId,
          messageId: target.messageId,
          text: target.text,
          buttons,
        });
        return {
          message_id: target.messageId,
          chat: { id: Number(target.chatId) },
          date: 0,
          text: target.text,
        };
      }
      case 'answerCallbackQuery':
        callbackAnswers.push({
          id: String(fields.callback_query_id),
          text: fields.text as string | undefined,
        });
        return true;
      case 'getFile': {
        const fileId = String(fields.file_id);
        if (!files.has(`files/${fileId}`)) {
          reply(response, 400, { ok: false, error_code: 400, description: 'Bad Request: invalid file_id' });
          return undefined;
        }
        return {
          file_id: fileId,
          file_path: `files/${fileId}`,
          file_size: files.get(`files/${fileId}`)!.byteLength,
        };
      }
      case 'setWebhook':
        webhooks.push({ url: String(fields.url), secretToken: fields.secret_token as string | undefined });
        return true;
      case 'deleteWebhook':
        return true;
      default:
        reply(response, 404, { ok: false, error_code: 404, description: `Not Found: method ${method}` });
        return undefined;
    }
  }

  const addFile = (bytes: Buffer) => {
    const id = `file-${nextFile++}`;
    files.set(`files/${id}`, bytes);
    return id;
  };

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    token,
    sent,
    calls,
    callbackAnswers,
    webhooks,
    edits,
    pushMessage(message) {
      const update_id = nextUpdate++;
      const messageId = nextMessage++;
      const document = message.document
        ? {
            file_id: addFile(message.document.bytes),
            file_name: message.document.name,
            mime_type: message.document.mimeType,
            file_size: message.document.bytes.byteLength,
          }
        : undefined;
      const photo = message.photo
        ? [
            {
              file_id: addFile(message.photo.bytes),
              width: 10,
              height: 10,
              file_size: message.photo.bytes.byteLength,
            },
          ]
        : undefined;
      updates.push({
        update_id,
        message: {
          message_id: messageId,
          from: { ...message.from, is_bot: false },
          chat: { id: message.chatId, type: message.threadId !== undefined ? 'supergroup' : 'private' },
          date: Math.floor(Date.now() / 1000),
          ...(message.threadId !== undefined
            ? { message_thread_id: message.threadId, is_topic_message: true }
            : {}),
          ...(message.text !== undefined ? { text: message.text } : {}),
          ...(message.caption !== undefined ? { caption: message.caption } : {}),
          ...(document ? { document } : {}),
          ...(photo ? { photo } : {}),
        },
      });
      wake();
      return update_id;
    },
    pushCallback({ from, sent: message, data }) {
      const update_id = nextUpdate++;
      updates.push({
        update_id,
        callback_query: {
          id: `cbq-${update_id}`,
          from: { ...from, is_bot: false },
          data,
          message: {
            message_id: message.messageId,
            chat: { id: Number(message.chatId) },
            date: 0,
            ...(message.text !== undefined ? { text: message.text } : {}),
            ...(message.threadId !== undefined
              ? { message_thread_id: message.threadId, is_topic_message: true }
              : {}),
          },
        },
      });
      wake();
      return update_id;
    },
    takeUpdate(updateId) {
      const index = updates.findIndex((update) => update.update_id === updateId);
      if (index < 0) throw new Error(`no update ${updateId}`);
      return updates.splice(index, 1)[0]!;
    },
    postUpdate: (webhookUrl, update, secretToken) =>
      fetch(webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secretToken },
        body: JSON.stringify(update),
      }),
    failNext(method, count, status, retryAfterSeconds) {
      failures.push({ method, count, status, retryAfter: retryAfterSeconds });
    },
    waitForSent: waitForRecord(sent),
    close: () =>
      new Promise<void>((resolve) => {
        wake();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function readFields(request: IncomingMessage, body: Buffer): Promise<Record<string, unknown>> {
  const type = request.headers['content-type'] ?? '';
  if (body.byteLength === 0) return {};
  if (type.startsWith('application/json'))
    return JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  if (type.startsWith('multipart/form-data') || type.startsWith('application/x-www-form-urlencoded')) {
    const form = await new Request('http://127.0.0.1/', {
      method: 'POST',
      headers: { 'content-type': type },
      body: new Uint8Array(body),
    }).formData();
    return Object.fromEntries(form.entries());
  }
  return {};
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}
