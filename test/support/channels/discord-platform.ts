import { generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { type RecordedRequest, startLocalHttpServer } from '../local-http-server.ts';
import { type WaitForRecord, waitForRecord } from './recorded.ts';

/**
 * Discord as the tests see it, on 127.0.0.1: the REST API a bot calls (users/@me, channel
 * messages, interaction follow-ups and edits of the original answer) and the sender of
 * interactions (a ping, a slash command, a button press), signed as Discord signs them: Ed25519
 * over `<timestamp><body>`, the signature and timestamp in X-Signature-Ed25519 and
 * X-Signature-Timestamp, checked against the application's public key (hex).
 */

export interface DiscordMessage {
  /** The channel (or thread) for a channel message, `webhook:<token>` for an interaction follow-up. */
  where: string;
  content: string;
  replyTo: string | undefined;
  components: unknown[] | undefined;
  /** Names of files sent with it (multipart `files[n]`). */
  files: string[];
  id: string;
}

export interface DiscordPlatform {
  /** The REST API's base URL with its version (`<url>/api/v10`): a channel's apiBaseUrl. */
  apiBaseUrl: string;
  applicationId: string;
  botToken: string;
  /** The application's Ed25519 public key, hex, as the developer portal shows it. */
  publicKey: string;
  readonly messages: DiscordMessage[];
  /** Edits of an interaction's original message (`PATCH .../messages/@original`), in order. */
  readonly edits: DiscordMessage[];
  /** The next `count` REST calls answer 429 with `retry_after` seconds. */
  rateLimitNext(count: number, retryAfterSeconds?: number): void;
  failNext(count: number): void;
  /** POSTs a signed interaction; `forge` signs with another key, `timestamp` overrides the clock. */
  sendInteraction(webhookUrl: string, interaction: object, options?: InteractionOptions): Promise<Response>;
  /** A slash command `/ask prompt:<text>` from `userId` in `channelId`. */
  slashCommand(fields: { channelId: string; userId: string; prompt: string }): object;
  /** A press of the button `customId` on the message `messageId`. */
  buttonPress(fields: {
    channelId: string;
    userId: string;
    messageId: string;
    customId: string;
    /** The pressed message's text, as Discord sends it with the press. */
    content?: string;
  }): object;
  /** The first message sent (to a channel or as a follow-up) that `predicate` holds for, once there is one. */
  waitForMessage: WaitForRecord<DiscordMessage>;
  close(): Promise<void>;
}

export interface InteractionOptions {
  timestamp?: number;
  forge?: boolean;
}

export async function startDiscordPlatform(): Promise<DiscordPlatform> {
  const applicationId = '1100000000000000001';
  const botToken = 'discord-bot-token-secret';
  const keys = generateKeyPairSync('ed25519');
  const forger = generateKeyPairSync('ed25519');
  const publicKey = rawPublicKeyHex(keys.publicKey);
  const messages: DiscordMessage[] = [];
  const edits: DiscordMessage[] = [];
  let rateLimited = 0;
  let retryAfter = 0.5;
  let failing = 0;
  let nextId = 1_200_000_000_000_000_000n;

  const server = await startLocalHttpServer((request, response) => {
    const path = new URL(request.url, 'http://discord.test').pathname;
    if (!path.startsWith('/api/v10/')) return json(response, 404, { message: '404: Not Found', code: 0 });
    const route = path.slice('/api/v10'.length);
    const webhook = /^\/webhooks\/(\d+)\/([^/]+)(\/messages\/@original)?$/.exec(route);
    // Interaction follow-ups are authorised by their token alone; everything else needs the bot's.
    if (!webhook && request.headers.authorization !== `Bot ${botToken}`)
      return json(response, 401, { message: '401: Unauthorized', code: 0 });
    if (failing > 0) {
      failing -= 1;
      return json(response, 502, { message: 'Bad Gateway', code: 0 });
    }
    if (rateLimited > 0) {
      rateLimited -= 1;
      response.setHeader('Retry-After', String(Math.ceil(retryAfter)));
      return json(response, 429, {
        message: 'You are being rate limited.',
        retry_after: retryAfter,
        global: false,
      });
    }
    if (route === '/users/@me' && request.method === 'GET')
      return json(response, 200, { id: applicationId, username: 'openviber', bot: true });
    const channel = /^\/channels\/(\d+)\/messages$/.exec(route);
    if (channel && request.method === 'POST') return record(channel[1]!, request, response);
    if (webhook && webhook[1] === applicationId) {
      if (request.method === 'POST' && !webhook[3]) return record(`webhook:${webhook[2]}`, request, response);
      if (request.method === 'PATCH' && webhook[3])
        return record(`webhook:${webhook[2]}`, request, response, edits);
    }
    return json(response, 404, { message: 'Unknown route', code: 0 });
  });

  function record(
    where: string,
    request: RecordedRequest,
    response: ServerResponse,
    into: DiscordMessage[] = messages,
  ): void {
    const { payload, files } = readMessageBody(request);
    const content = typeof payload.content === 'string' ? payload.content : '';
    if (content.length > 2000) {
      json(response, 400, {
        message: 'Invalid Form Body',
        code: 50035,
        errors: {
          content: {
            _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 2000 or fewer in length.' }],
          },
        },
      });
      return;
    }
    nextId += 1n;
    const reference = payload.message_reference as { message_id?: string } | undefined;
    const message: DiscordMessage = {
      where,
      content,
      replyTo: reference?.message_id,
      components: Array.isArray(payload.components) ? payload.components : undefined,
      files,
      id: String(nextId),
    };
    into.push(message);
    json(response, 200, { id: message.id, channel_id: where, content });
  }

  /** What every interaction carries: who, where, and the token its follow-ups are sent with. */
  function interaction(type: 2 | 3, channelId: string, userId: string) {
    return {
      type,
      id: String(nextInteractionId()),
      application_id: applicationId,
      token: `interaction-${randomUUID()}`,
      channel_id: channelId,
      guild_id: '1300000000000000001',
      member: { user: { id: userId, username: `user${userId.slice(-4)}` } },
      version: 1,
    };
  }

  return {
    apiBaseUrl: `${server.url}/api/v10`,
    applicationId,
    botToken,
    publicKey,
    messages,
    edits,
    rateLimitNext(count, retryAfterSeconds = 0.5) {
      rateLimited = count;
      retryAfter = retryAfterSeconds;
    },
    failNext(count) {
      failing = count;
    },
    sendInteraction(webhookUrl, interaction, options = {}) {
      const body = JSON.stringify(interaction);
      const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
      const key: KeyObject = options.forge ? forger.privateKey : keys.privateKey;
      const signature = sign(null, Buffer.from(timestamp + body), key).toString('hex');
      return fetch(webhookUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-signature-ed25519': signature,
          'x-signature-timestamp': timestamp,
        },
        body,
      });
    },
    slashCommand: ({ channelId, userId, prompt }) => ({
      ...interaction(2, channelId, userId),
      data: {
        id: '1400000000000000001',
        name: 'ask',
        type: 1,
        options: [{ name: 'prompt', type: 3, value: prompt }],
      },
    }),
    buttonPress: ({ channelId, userId, messageId, customId, content }) => ({
      ...interaction(3, channelId, userId),
      message: { id: messageId, channel_id: channelId, ...(content !== undefined ? { content } : {}) },
      data: { custom_id: customId, component_type: 2 },
    }),
    waitForMessage: waitForRecord(messages),
    close: () => server.close(),
  };
}

let interactionCounter = 1_500_000_000_000_000_000n;
function nextInteractionId(): bigint {
  interactionCounter += 1n;
  return interactionCounter;
}

/** The 32 raw bytes of an Ed25519 public key in hex (the portal's form), from its SPKI DER. */
function rawPublicKeyHex(key: KeyObject): string {
  const der = key.export({ format: 'der', type: 'spki' });
  return der.subarray(der.length - 32).toString('hex');
}

/** A JSON body, or multipart with `payload_json` and `files[n]` parts (names only are kept). */
function readMessageBody(request: RecordedRequest): { payload: Record<string, unknown>; files: string[] } {
  const type = request.headers['content-type'] ?? '';
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(type);
  if (!boundary) return { payload: JSON.parse(request.body || '{}'), files: [] };
  let payload: Record<string, unknown> = {};
  const files: string[] = [];
  for (const part of request.body.split(`--${boundary[1] ?? boundary[2]}`)) {
    const disposition = /content-disposition: form-data; name="([^"]+)"(?:; filename="([^"]+)")?/i.exec(part);
    if (!disposition) continue;
    const value = part.slice(part.indexOf('\r\n\r\n') + 4).replace(/\r\n$/, '');
    if (disposition[1] === 'payload_json') payload = JSON.parse(value);
    else if (disposition[2]) files.push(disposition[2]);
  }
  return { payload, files };
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
