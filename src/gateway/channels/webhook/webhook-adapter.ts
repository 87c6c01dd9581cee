import { z } from 'zod';
import type {
  ChannelAdapter,
  ChannelContext,
  InboundEvent,
  OutboundMessage,
  ReplyTarget,
} from '../channel-adapter.ts';
import { ChannelSendError } from '../channel-send-error.ts';
import {
  EVENT_ID_HEADER,
  SIGNATURE_HEADER,
  signBody,
  TIMESTAMP_HEADER,
  verifySignature,
} from '../channel-signature.ts';

/**
 * The generic signed webhook (docs/channels.md, "Signed webhooks"): any system that can sign an
 * HTTP POST talks to the gateway like a chat. In: `POST /channels/:id/webhook` with the three
 * X-OpenViber-* headers; out: the same signing to the channel's `url`. One signing secret both ways.
 */

const SenderSchema = z.strictObject({ id: z.string().min(1).max(200), name: z.string().max(200).optional() });
const FileSchema = z.strictObject({
  name: z.string().min(1).max(200),
  mediaType: z.string().min(1).max(200),
  base64: z.string().max(1_000_000),
});

export const WebhookInboundSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('message'),
    sender: SenderSchema,
    /** One conversation per value: a chat, a ticket, a thread. */
    conversation: z.string().min(1).max(200),
    text: z.string().max(100_000).default(''),
    files: z.array(FileSchema).max(10).default([]),
  }),
  z.strictObject({
    type: z.literal('approval'),
    sender: SenderSchema,
    conversation: z.string().min(1).max(200),
    taskId: z.string().min(1).max(200).optional(),
    approvalRef: z.string().regex(/^[0-9a-f]{8}$/),
    approved: z.boolean(),
  }),
  /** A signed no-op: checks the signing from the sender's side. */
  z.strictObject({ type: z.literal('ping') }),
]);

const refused = (status: number, code: string, message: string) => ({
  events: [],
  response: { status, body: { ok: false, error: { code, message } } },
});

export const webhookAdapter: ChannelAdapter = {
  kind: 'webhook',
  // Nothing forces a limit on our own format; this keeps one POST reasonable for any receiver.
  maxTextLength: 32_000,
  requiredSecrets: ['signingSecret'],
  refusesReplays: true,

  checkConfig(config) {
    const url = config.url;
    if (url !== undefined && (typeof url !== 'string' || !/^https?:\/\//.test(url))) {
      return 'config.url: must be the http(s) URL answers are posted to';
    }
    return null;
  },

  async receive(context, request) {
    const secret = context.secrets.signingSecret;
    if (!secret) return refused(401, 'unauthorized', 'the channel has no signing secret');
    const check = verifySignature(secret, request.headers, request.rawBody);
    if (!check.ok) return refused(401, 'unauthorized', check.reason);
    const eventId = request.headers.get(EVENT_ID_HEADER);
    if (!eventId || eventId.length > 200) return refused(400, 'bad_request', `missing ${EVENT_ID_HEADER}`);
    let json: unknown;
    try {
      json = JSON.parse(request.rawBody);
    } catch {
      return refused(400, 'bad_request', 'the body is not JSON');
    }
    const parsed = WebhookInboundSchema.safeParse(json);
    if (!parsed.success)
      return refused(400, 'validation_failed', parsed.error.issues[0]?.message ?? 'bad body');
    const body = parsed.data;
    if (body.type === 'ping') return { events: [], response: { status: 200, body: { ok: true } } };
    const common = {
      eventId,
      senderId: body.sender.id,
      senderName: body.sender.name ?? body.sender.id,
      conversationKey: body.conversation,
      replyTarget: { conversation: body.conversation } as ReplyTarget,
    };
    const event: InboundEvent =
      body.type === 'message'
        ? {
            kind: 'message',
            ...common,
            text: body.text,
            files: body.files.map((file) => ({
              ref: `data:${file.mediaType};base64,${file.base64}`,
              name: file.name,
              mediaType: file.mediaType,
              size: Math.floor((file.base64.length * 3) / 4),
            })),
          }
        : {
            kind: 'approval',
            ...common,
            taskId: body.taskId ?? null,
            approvalRef: body.approvalRef,
            approved: body.approved,
          };
    return { events: [event], response: { status: 200, body: { ok: true } } };
  },

  targetFor(conversationKey) {
    return conversationKey.length <= 200 ? { conversation: conversationKey } : undefined;
  },

  async send(context, target, message, deliveryKey) {
    await post(context, deliveryKey, {
      type: 'message',
      channelId: context.id,
      ...target,
      message: wire(message),
    });
  },

  async fetchFile(_context, file, maxBytes) {
    const comma = file.ref.indexOf(',');
    const bytes = Buffer.from(file.ref.slice(comma + 1), 'base64');
    if (bytes.byteLength > maxBytes) {
      throw new ChannelSendError(`file ${file.name}: ${bytes.byteLength} bytes, over ${maxBytes}`, {
        retryable: false,
      });
    }
    return bytes;
  },

  async test(context) {
    await post(context, `ping-${Date.now()}`, { type: 'ping', channelId: context.id });
    return `${String(context.config.url)} accepted a signed ping`;
  },
};

/** The outbound message as the receiver reads it: the approval prompt names its buttons' answers. */
function wire(message: OutboundMessage): Record<string, unknown> {
  if (message.kind !== 'approval') return message;
  return {
    ...message,
    answers: {
      approve: { approvalRef: message.approvalRef, approved: true },
      deny: { approvalRef: message.approvalRef, approved: false },
    },
  };
}

async function post(
  context: ChannelContext,
  eventId: string,
  payload: Record<string, unknown>,
): Promise<void> {
  const url = context.config.url;
  if (typeof url !== 'string' || !url) {
    throw new ChannelSendError('webhook: the channel has no url to post answers to', { retryable: false });
  }
  const secret = context.secrets.signingSecret;
  if (!secret) throw new ChannelSendError('webhook: the channel has no signing secret', { retryable: false });
  const body = JSON.stringify(payload);
  const timestamp = Math.floor(Date.now() / 1000);
  let response: Response;
  try {
    response = await context.fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [TIMESTAMP_HEADER]: String(timestamp),
        [SIGNATURE_HEADER]: signBody(secret, timestamp, body),
        [EVENT_ID_HEADER]: eventId,
      },
      body,
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    throw ChannelSendError.unreachable('webhook post', error);
  }
  await response.arrayBuffer().catch(() => undefined);
  if (!response.ok) {
    const retryAfter = Number(response.headers.get('retry-after'));
    throw ChannelSendError.fromStatus(
      'webhook post',
      response.status,
      response.statusText,
      Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined,
    );
  }
}
