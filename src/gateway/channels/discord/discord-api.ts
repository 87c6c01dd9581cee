import type { ChannelContext } from '../channel-adapter.ts';
import { ChannelSendError } from '../channel-send-error.ts';

/** Discord's REST API with its version; a channel's `apiBaseUrl` replaces it (a test fixture). */
export const DISCORD_API = 'https://discord.com/api/v10';

export function discordApiBase(context: ChannelContext): string {
  const configured = context.config.apiBaseUrl;
  return (typeof configured === 'string' && configured ? configured : DISCORD_API).replace(/\/+$/, '');
}

export class DiscordApiError extends ChannelSendError {
  readonly status: number;
  constructor(error: ChannelSendError, status: number) {
    super(error.message, { retryable: error.retryable, retryAfterMs: error.retryAfterMs });
    this.status = status;
  }
}

/**
 * Calls a REST route: `auth` `bot` sends `Authorization: Bot <token>`; `none` is for interaction
 * follow-ups, authorised by the interaction token in the path. Errors name the route's kind (never
 * the path: a follow-up path holds a token) and Discord's message; 429 carries `retry_after` in
 * seconds, a float; 5xx is retryable; 401, 403, 404 and other 4xx are permanent.
 */
export async function callDiscord<T>(
  context: ChannelContext,
  what: string,
  method: 'GET' | 'POST' | 'PATCH',
  path: string,
  auth: 'bot' | 'none',
  body?: Record<string, unknown> | FormData,
): Promise<T> {
  const headers: Record<string, string> = {};
  if (auth === 'bot') {
    const token = context.secrets.botToken;
    if (!token) throw new ChannelSendError('discord: the channel has no botToken', { retryable: false });
    headers.authorization = `Bot ${token}`;
  }
  if (body && !(body instanceof FormData)) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await context.fetch(`${discordApiBase(context)}${path}`, {
      method,
      headers,
      ...(body ? { body: body instanceof FormData ? body : JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    throw ChannelSendError.unreachable(`discord ${what}`, error);
  }
  const answer = (await response.json().catch(() => undefined)) as
    | { message?: string; code?: number; retry_after?: number }
    | undefined;
  if (response.ok) return answer as T;
  let retryAfterMs: number | undefined;
  if (response.status === 429) {
    const seconds =
      typeof answer?.retry_after === 'number'
        ? answer.retry_after
        : Number(response.headers.get('retry-after'));
    if (Number.isFinite(seconds) && seconds > 0) retryAfterMs = Math.ceil(seconds * 1000);
  }
  const detail = `${answer?.message ?? response.statusText}${answer?.code ? ` (code ${answer.code})` : ''}`;
  throw new DiscordApiError(
    ChannelSendError.fromStatus(`discord ${what}`, response.status, detail, retryAfterMs),
    response.status,
  );
}
