import { createHmac } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { type RecordedRequest, startLocalHttpServer } from '../local-http-server.ts';
import { type WaitForRecord, waitForRecord } from './recorded.ts';

/**
 * Slack as the tests see it, on 127.0.0.1: the Web API a bot calls (auth.test, chat.postMessage,
 * the external file upload in three steps, a private file download) and the sender of Events API
 * callbacks and interactivity payloads, signed with the real scheme
 * (`v0=` HMAC-SHA256 of `v0:<timestamp>:<body>` under the app's signing secret).
 */

export interface SlackPost {
  channel: string;
  text: string;
  threadTs: string | undefined;
  blocks: unknown[] | undefined;
  ts: string;
}

export interface SlackUpload {
  fileId: string;
  filename: string;
  bytes: Buffer;
  channel: string | undefined;
  threadTs: string | undefined;
}

export interface SlackPlatform {
  /** The Web API's base URL (`<url>/api/<method>`), what a channel's apiBaseUrl is set to. */
  url: string;
  botToken: string;
  signingSecret: string;
  readonly posts: SlackPost[];
  /** Messages changed with chat.update (`ts` names the message), in order. */
  readonly updates: SlackPost[];
  readonly uploads: SlackUpload[];
  /** Files a message may carry: served at `<url>/files/<name>` to the bot's token only. */
  addFile(name: string, bytes: Buffer): string;
  /** The next `count` Web API calls answer 429 with Retry-After: `retryAfterSeconds`. */
  rateLimitNext(count: number, retryAfterSeconds?: number): void;
  /** The next `count` Web API calls answer 503 (Slack down). */
  failNext(count: number): void;
  /** POSTs a signed Events API callback to `webhookUrl`; `sign` may be overridden to forge. */
  sendEvent(webhookUrl: string, body: object, options?: SignOptions): Promise<Response>;
  /** POSTs a signed `block_actions` payload (a button press), form-encoded as Slack does. */
  sendAction(webhookUrl: string, payload: object, options?: SignOptions): Promise<Response>;
  /** The first message posted (chat.postMessage) that `predicate` holds for, once there is one. */
  waitForPost: WaitForRecord<SlackPost>;
  close(): Promise<void>;
}

export interface SignOptions {
  /** Seconds since the epoch written in X-Slack-Request-Timestamp (default: now). */
  timestamp?: number;
  /** Sign with this secret instead of the app's (a forgery). */
  secret?: string;
}

export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export async function startSlackPlatform(): Promise<SlackPlatform> {
  const botToken = 'xoxb-test-0000-secret';
  const signingSecret = 'slack-signing-secret-for-tests';
  const posts: SlackPost[] = [];
  const updates: SlackPost[] = [];
  const uploads: SlackUpload[] = [];
  const files = new Map<string, Buffer>();
  const pendingUploads = new Map<string, { filename: string; bytes: Buffer | undefined }>();
  let rateLimited = 0;
  let retryAfter = 1;
  let failing = 0;
  let nextTs = 1_700_000_000;

  const server = await startLocalHttpServer((request, response) => {
    const url = new URL(request.url, 'http://slack.test');
    if (url.pathname.startsWith('/upload/')) return acceptUpload(url.pathname.slice(8), request, response);
    if (url.pathname.startsWith('/files/')) return serveFile(url.pathname.slice(7), request, response);
    if (!url.pathname.startsWith('/api/')) return json(response, 404, { ok: false, error: 'unknown_path' });
    if (request.headers.authorization !== `Bearer ${botToken}`)
      return json(response, 200, { ok: false, error: 'invalid_auth' });
    if (failing > 0) {
      failing -= 1;
      return json(response, 503, { ok: false, error: 'service_unavailable' });
    }
    if (rateLimited > 0) {
      rateLimited -= 1;
      response.setHeader('Retry-After', String(retryAfter));
      return json(response, 429, { ok: false, error: 'ratelimited' });
    }
    const body = parseBody(request);
    switch (url.pathname.slice(5)) {
      case 'auth.test':
        return json(response, 200, {
          ok: true,
          team: 'Test',
          user: 'openviber',
          bot_id: 'B1',
          user_id: 'U0BOT',
        });
      case 'chat.postMessage': {
        if (typeof body.channel !== 'string' || body.channel === '')
          return json(response, 200, { ok: false, error: 'channel_not_found' });
        if (typeof body.text !== 'string' || body.text.length > 40_000)
          return json(response, 200, { ok: false, error: 'msg_too_long' });
        nextTs += 1;
        const ts = `${nextTs}.000100`;
        posts.push({
          channel: body.channel,
          text: body.text,
          threadTs: typeof body.thread_ts === 'string' ? body.thread_ts : undefined,
          blocks: Array.isArray(body.blocks) ? body.blocks : undefined,
          ts,
        });
        return json(response, 200, { ok: true, channel: body.channel, ts });
      }
      case 'chat.update': {
        const found = posts.find((post) => post.channel === body.channel && post.ts === body.ts);
        if (!found) return json(response, 200, { ok: false, error: 'message_not_found' });
        updates.push({
          channel: String(body.channel),
          text: typeof body.text === 'string' ? body.text : '',
          threadTs: found.threadTs,
          blocks: Array.isArray(body.blocks) ? body.blocks : undefined,
          ts: String(body.ts),
        });
        return json(response, 200, { ok: true, channel: body.channel, ts: body.ts });
      }
      case 'files.getUploadURLExternal': {
        const filename = String(body.filename ?? '');
        const length = Number(body.length);
        if (!filename || !Number.isInteger(length) || length <= 0)
          return json(response, 200, { ok: false, error: 'invalid_arguments' });
        const fileId = `F${pendingUploads.size + uploads.length + 1}`;
        pendingUploads.set(fileId, { filename, bytes: undefined });
        return json(response, 200, {
          ok: true,
          upload_url: `${server.url}/upload/${fileId}`,
          file_id: fileId,
        });
      }
      case 'files.completeUploadExternal': {
        const list = typeof body.files === 'string' ? JSON.parse(body.files) : body.files;
        for (const { id } of list as { id: string }[]) {
          const pending = pendingUploads.get(id);
          if (!pending?.bytes) return json(response, 200, { ok: false, error: 'file_not_found' });
          pendingUploads.delete(id);
          uploads.push({
            fileId: id,
            filename: pending.filename,
            bytes: pending.bytes,
            channel: typeof body.channel_id === 'string' ? body.channel_id : undefined,
            threadTs: typeof body.thread_ts === 'string' ? body.thread_ts : undefined,
          });
        }
        return json(response, 200, { ok: true, files: list });
      }
      default:
        return json(response, 200, { ok: false, error: 'unknown_method' });
    }
  });

  function acceptUpload(fileId: string, request: RecordedRequest, response: ServerResponse): void {
    const pending = pendingUploads.get(fileId);
    if (!pending) {
      json(response, 404, { ok: false, error: 'file_not_found' });
      return;
    }
    // The recorder reads bodies as UTF-8: the tests upload text-safe bytes.
    pending.bytes = Buffer.from(request.body, 'utf8');
    response.writeHead(200, { 'content-type': 'text/plain' }).end(`OK - ${pending.bytes.length}`);
  }

  function serveFile(name: string, request: RecordedRequest, response: ServerResponse): void {
    const bytes = files.get(name);
    if (request.headers.authorization !== `Bearer ${botToken}`) return void response.writeHead(403).end();
    if (!bytes) return void response.writeHead(404).end();
    response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(bytes);
  }

  async function signedPost(
    webhookUrl: string,
    body: string,
    contentType: string,
    options: SignOptions = {},
  ): Promise<Response> {
    const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
    return fetch(webhookUrl, {
      method: 'POST',
      headers: {
        'content-type': contentType,
        'x-slack-request-timestamp': String(timestamp),
        'x-slack-signature': slackSignature(options.secret ?? signingSecret, timestamp, body),
      },
      body,
    });
  }

  return {
    url: server.url,
    botToken,
    signingSecret,
    posts,
    updates,
    uploads,
    addFile(name, bytes) {
      files.set(name, bytes);
      return `${server.url}/files/${name}`;
    },
    rateLimitNext(count, retryAfterSeconds = 1) {
      rateLimited = count;
      retryAfter = retryAfterSeconds;
    },
    failNext(count) {
      failing = count;
    },
    sendEvent: (webhookUrl, body, options) =>
      signedPost(webhookUrl, JSON.stringify(body), 'application/json', options),
    sendAction: (webhookUrl, payload, options) =>
      signedPost(
        webhookUrl,
        new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
        'application/x-www-form-urlencoded',
        options,
      ),
    waitForPost: waitForRecord(posts),
    close: () => server.close(),
  };
}

/** Slack's Web API takes JSON or form bodies. */
function parseBody(request: RecordedRequest): Record<string, unknown> {
  const type = request.headers['content-type'] ?? '';
  if (type.startsWith('application/json')) return JSON.parse(request.body || '{}');
  return Object.fromEntries(new URLSearchParams(request.body));
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
}
