import type { ChannelContext } from '../channel-adapter.ts';
import { ChannelSendError } from '../channel-send-error.ts';

/** The Bot API's public server; a channel's `apiBaseUrl` replaces it (a local Bot API server, a test). */
export const TELEGRAM_API = 'https://api.telegram.org';

/** Telegram's answer envelope: `{ok: true, result}` or `{ok: false, error_code, description, parameters}`. */
interface Envelope {
  ok: boolean;
  result?: unknown;
  error_code?: number;
  description?: string;
  parameters?: { retry_after?: number };
}

export function apiBase(context: ChannelContext): string {
  const configured = context.config.apiBaseUrl;
  return (typeof configured === 'string' && configured ? configured : TELEGRAM_API).replace(/\/+$/, '');
}

function token(context: ChannelContext): string {
  const value = context.secrets.botToken;
  if (!value) throw new ChannelSendError('telegram: the channel has no botToken', { retryable: false });
  return value;
}

/**
 * Calls a Bot API method (`<base>/bot<token>/<method>`) with a JSON body, or a multipart form for
 * uploads. Errors never carry the URL (it holds the token): the method and Telegram's description.
 */
export async function callTelegram<T>(
  context: ChannelContext,
  method: string,
  body: Record<string, unknown> | FormData,
  signal?: AbortSignal,
): Promise<T> {
  const url = `${apiBase(context)}/bot${token(context)}/${method}`;
  let response: Response;
  try {
    response = await context.fetch(url, {
      method: 'POST',
      ...(body instanceof FormData
        ? { body }
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    if (signal?.aborted) throw error;
    throw ChannelSendError.unreachable(`telegram ${method}`, error);
  }
  const envelope = (await response.json().catch(() => undefined)) as Envelope | undefined;
  if (response.ok && envelope?.ok) return envelope.result as T;
  const retryAfter = envelope?.parameters?.retry_after;
  throw ChannelSendError.fromStatus(
    `telegram ${method}`,
    envelope?.error_code ?? response.status,
    envelope?.description ?? response.statusText,
    typeof retryAfter === 'number' ? retryAfter * 1000 : undefined,
  );
}

/** Downloads a file by its `file_path` (from getFile): `<base>/file/bot<token>/<path>`. */
export async function downloadTelegramFile(
  context: ChannelContext,
  filePath: string,
  maxBytes: number,
): Promise<Buffer> {
  const url = `${apiBase(context)}/file/bot${token(context)}/${filePath.split('/').map(encodeURIComponent).join('/')}`;
  let response: Response;
  try {
    response = await context.fetch(url);
  } catch (error) {
    throw ChannelSendError.unreachable('telegram file download', error);
  }
  if (!response.ok)
    throw ChannelSendError.fromStatus('telegram file download', response.status, response.statusText);
  const bytes = Buffer.from(await response.arrayBuffer());
  if (bytes.byteLength > maxBytes) {
    throw new ChannelSendError(`telegram file download: ${bytes.byteLength} bytes, over ${maxBytes}`, {
      retryable: false,
    });
  }
  return bytes;
}

// The parts of Bot API objects the adapter reads.

export interface TelegramUser {
  id: number;
  is_bot?: boolean;
  first_name?: string;
  last_name?: string;
  username?: string;
}

export interface TelegramMessage {
  message_id: number;
  from?: TelegramUser;
  chat: { id: number; type?: string; title?: string };
  message_thread_id?: number;
  is_topic_message?: boolean;
  text?: string;
  caption?: string;
  photo?: Array<{ file_id: string; file_size?: number; width?: number; height?: number }>;
  document?: { file_id: string; file_name?: string; mime_type?: string; file_size?: number };
}

export interface TelegramUpdate {
  update_id: number;
  message?: TelegramMessage;
  callback_query?: { id: string; from: TelegramUser; message?: TelegramMessage; data?: string };
}
