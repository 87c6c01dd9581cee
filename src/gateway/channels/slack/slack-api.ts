import type { ChannelContext } from '../channel-adapter.ts';
import { ChannelSendError } from '../channel-send-error.ts';

/** Slack's Web API host; a channel's `apiBaseUrl` replaces it (a test fixture, a proxy). */
export const SLACK_API = 'https://slack.com';
/** Where Slack serves a message's private files (url_private_download). */
const SLACK_FILES_ORIGIN = 'https://files.slack.com';

/**
 * `{ok: false, error}` codes worth another try: Slack's own trouble, not ours. Every other code
 * (invalid_auth, channel_not_found, not_in_channel, is_archived, msg_too_long, ...) is permanent:
 * the same request would be refused the same way.
 */
const TRANSIENT_ERRORS = new Set([
  'ratelimited',
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
]);

export function slackApiBase(context: ChannelContext): string {
  const configured = context.config.apiBaseUrl;
  return (typeof configured === 'string' && configured ? configured : SLACK_API).replace(/\/+$/, '');
}

function botToken(context: ChannelContext): string {
  const value = context.secrets.botToken;
  if (!value) throw new ChannelSendError('slack: the channel has no botToken', { retryable: false });
  return value;
}

/**
 * Calls a Web API method (`<base>/api/<method>`) with the bot token: a JSON body, or a form body
 * for the methods that take only form arguments (the file upload ones). Slack answers HTTP 200 with
 * `{ok: false, error}` for most refusals, 429 with Retry-After when rate limited, 5xx when down.
 * Errors name the method and Slack's error code, never the token.
 */
export async function callSlack<T extends object>(
  context: ChannelContext,
  method: string,
  args: Record<string, unknown>,
  encoding: 'json' | 'form' = 'json',
): Promise<T & { ok: true }> {
  const what = `slack ${method}`;
  const headers: Record<string, string> = { authorization: `Bearer ${botToken(context)}` };
  let body: string;
  if (encoding === 'json') {
    headers['content-type'] = 'application/json; charset=utf-8';
    body = JSON.stringify(args);
  } else {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(
      Object.entries(args)
        .filter(([, value]) => value !== undefined)
        .map(([key, value]) => [key, typeof value === 'string' ? value : JSON.stringify(value)]),
    ).toString();
  }
  let response: Response;
  try {
    response = await context.fetch(`${slackApiBase(context)}/api/${method}`, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    throw ChannelSendError.unreachable(what, error);
  }
  const answer = (await response.json().catch(() => undefined)) as
    | { ok?: boolean; error?: string }
    | undefined;
  if (response.ok && answer?.ok === true) return answer as T & { ok: true };
  const code = answer?.error ?? response.statusText;
  if (!response.ok) {
    throw ChannelSendError.fromStatus(what, response.status, code, retryAfterMs(response));
  }
  throw new ChannelSendError(`${what}: ${code}`, {
    retryable: TRANSIENT_ERRORS.has(code),
    retryAfterMs: code === 'ratelimited' ? retryAfterMs(response) : undefined,
  });
}

/** Slack's Retry-After header is whole seconds. */
function retryAfterMs(response: Response): number | undefined {
  const seconds = Number(response.headers.get('retry-after'));
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
}

/**
 * Downloads a message's private file (`url_private_download`) with the bot token. The token is
 * sent only to Slack's file host or the configured API origin, never to another host a payload
 * might name (payloads are signed, but a token must not depend on that alone).
 */
export async function downloadSlackFile(
  context: ChannelContext,
  url: string,
  maxBytes: number,
): Promise<Buffer> {
  let origin: string;
  try {
    origin = new URL(url).origin;
  } catch {
    throw new ChannelSendError('slack file download: not a URL', { retryable: false });
  }
  if (origin !== SLACK_FILES_ORIGIN && origin !== new URL(slackApiBase(context)).origin) {
    throw new ChannelSendError(`slack file download: ${origin} is not Slack's file host`, {
      retryable: false,
    });
  }
  let response: Response;
  try {
    response = await context.fetch(url, {
      headers: { authorization: `Bearer ${botToken(context)}` },
      signal: AbortSignal.timeout(60_000),
    });
  } catch (error) {
    throw ChannelSendError.unreachable('slack file download', error);
  }
  if (!response.ok) {
    await response.arrayBuffer().catch(() => undefined);
    throw ChannelSendError.fromStatus('slack file download', response.status, response.statusText);
  }
  const bytes = Buffer.from(await response.arrayBuffer());
  if (bytes.byteLength > maxBytes) {
    throw new ChannelSendError(`slack file download: ${bytes.byteLength} bytes, over ${maxBytes}`, {
      retryable: false,
    });
  }
  return bytes;
}

/** Uploads bytes to the URL files.getUploadURLExternal gave (no token: the URL is the grant). */
export async function uploadSlackBytes(context: ChannelContext, url: string, bytes: Buffer): Promise<void> {
  let response: Response;
  try {
    response = await context.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: new Uint8Array(bytes),
      signal: AbortSignal.timeout(120_000),
    });
  } catch (error) {
    throw ChannelSendError.unreachable('slack file upload', error);
  }
  await response.arrayBuffer().catch(() => undefined);
  if (!response.ok)
    throw ChannelSendError.fromStatus('slack file upload', response.status, response.statusText);
}
