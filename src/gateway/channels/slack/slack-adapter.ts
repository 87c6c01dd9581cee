import type { ChannelAdapter, ChannelContext, OutboundMessage, ReceiveResult } from '../channel-adapter.ts';
import { ChannelSendError } from '../channel-send-error.ts';
import { callSlack, downloadSlackFile, uploadSlackBytes } from './slack-api.ts';
import {
  APPROVE_ACTION,
  actionEvents,
  DENY_ACTION,
  escapeSlack,
  messageEvents,
  type SlackBlockActions,
  type SlackEventCallback,
} from './slack-events.ts';
import { verifySlackSignature } from './slack-signature.ts';

/**
 * One message's text, in characters. Slack truncates at 40,000 and recommends staying under
 * 4,000 (longer messages are collapsed and hard to read): parts of 4,000 show whole. Escaping
 * `&`, `<`, `>` can make a part longer on the wire, at most five times: still under 40,000.
 */
const MAX_TEXT = 4_000;
/** A Block Kit section's text is limited to 3,000 characters (the full text is the fallback). */
const MAX_SECTION_TEXT = 3_000;

const refused = (status: number, code: string, message: string): ReceiveResult => ({
  events: [],
  response: { status, body: { ok: false, error: { code, message } } },
});
const accepted = (events: ReceiveResult['events'] = []): ReceiveResult => ({
  events,
  response: { status: 200, body: { ok: true } },
});

/**
 * Slack through the Events API and the Web API (docs/channels.md, "Slack"): signed callbacks in
 * (`message` and `app_mention` events, Approve/Deny button presses from interactivity), answers
 * out with chat.postMessage in the message's thread, files both ways. Socket Mode is not used:
 * the gateway must be reachable at its webhook URL.
 */
export const slackAdapter: ChannelAdapter = {
  kind: 'slack',
  maxTextLength: MAX_TEXT,
  requiredSecrets: ['botToken', 'signingSecret'],
  // Slack redelivers a callback that did not get a 200 (up to three times): a replay is answered
  // 200 and ignored, or Slack would keep retrying it.
  refusesReplays: false,

  checkConfig(config) {
    const base = config.apiBaseUrl;
    if (base !== undefined && (typeof base !== 'string' || !/^https?:\/\//.test(base)))
      return 'config.apiBaseUrl: must be an http(s) URL';
    const botUserId = config.botUserId;
    if (botUserId !== undefined && (typeof botUserId !== 'string' || !/^[UW][A-Z0-9]+$/.test(botUserId)))
      return 'config.botUserId: must be a Slack user id (U...)';
    return null;
  },

  async receive(context, request) {
    const secret = context.secrets.signingSecret;
    if (!secret) return refused(401, 'unauthorized', 'the channel has no signing secret');
    const check = verifySlackSignature(secret, request.headers, request.rawBody);
    if (!check.ok) return refused(401, 'unauthorized', check.reason);
    const type = request.headers.get('content-type') ?? '';
    let body: unknown;
    try {
      // Interactivity posts a form with one field, `payload`, holding JSON; events post JSON.
      body = type.startsWith('application/x-www-form-urlencoded')
        ? JSON.parse(new URLSearchParams(request.rawBody).get('payload') ?? '')
        : JSON.parse(request.rawBody);
    } catch {
      return refused(400, 'bad_request', 'the body is not a Slack event or interaction payload');
    }
    if (typeof body !== 'object' || body === null) return refused(400, 'bad_request', 'not an object');
    const payload = body as { type?: unknown; challenge?: unknown };
    switch (payload.type) {
      case 'url_verification':
        // Slack checks the Request URL by asking it to echo the challenge (signed like the rest).
        if (typeof payload.challenge !== 'string') return refused(400, 'bad_request', 'no challenge');
        return { events: [], response: { status: 200, body: { challenge: payload.challenge } } };
      case 'event_callback': {
        const callback = body as SlackEventCallback;
        return accepted(messageEvents(callback, ownUserIds(context, callback)));
      }
      case 'block_actions':
        return accepted(actionEvents(body as SlackBlockActions));
      default:
        // Other callbacks (app_rate_limited, other interactions) carry nothing for a chat.
        return accepted();
    }
  },

  async send(context, target, message) {
    const channel = target.channel;
    if (typeof channel !== 'string' || !channel) {
      throw new ChannelSendError('slack: the reply target has no channel', { retryable: false });
    }
    const threadTs = typeof target.threadTs === 'string' ? target.threadTs : undefined;
    await sendTo(context, channel, threadTs, message);
  },

  async answerPress(context, press, { note, decided, by }) {
    // Slack has no notice for a press: the note goes to the thread (false). Once decided, the
    // prompt shows the decision where its buttons were.
    if (!decided || typeof press.channel !== 'string' || typeof press.ts !== 'string') return false;
    const prompt = typeof press.text === 'string' ? press.text : '';
    const decision = `${note.replace(/\.$/, '')}, by ${by}.`;
    await callSlack(context, 'chat.update', {
      channel: press.channel,
      ts: press.ts,
      text: escapeSlack([prompt, decision].filter(Boolean).join('\n\n')),
      blocks: [
        ...(prompt
          ? [
              {
                type: 'section',
                text: { type: 'plain_text', text: prompt.slice(0, MAX_SECTION_TEXT), emoji: false },
              },
            ]
          : []),
        {
          type: 'context',
          elements: [{ type: 'plain_text', text: decision.slice(0, MAX_SECTION_TEXT), emoji: false }],
        },
      ],
    });
    return false;
  },

  targetFor(conversationKey) {
    const match = /^([A-Z0-9]{1,30})(?::(\d{1,12}\.\d{1,10}))?$/.exec(conversationKey);
    if (!match) return undefined;
    return { channel: match[1], ...(match[2] ? { threadTs: match[2] } : {}) };
  },

  async fetchFile(context, file, maxBytes) {
    if (file.size !== undefined && file.size > maxBytes) {
      throw new ChannelSendError(`slack file ${file.name}: ${file.size} bytes, over ${maxBytes}`, {
        retryable: false,
      });
    }
    return downloadSlackFile(context, file.ref, maxBytes);
  },

  async test(context) {
    const me = await callSlack<{ user?: string; team?: string; user_id?: string }>(context, 'auth.test', {});
    return `@${me.user ?? me.user_id ?? 'bot'}${me.team ? ` in ${me.team}` : ''}`;
  },
};

/** The bot's own user ids: its messages are never read as someone asking. */
function ownUserIds(context: ChannelContext, callback: SlackEventCallback): string[] {
  const ids = (callback.authorizations ?? [])
    .filter((authorization) => authorization.is_bot !== false && authorization.user_id)
    .map((authorization) => authorization.user_id!);
  const configured = context.config.botUserId;
  if (typeof configured === 'string' && configured) ids.push(configured);
  return ids;
}

async function sendTo(
  context: ChannelContext,
  channel: string,
  threadTs: string | undefined,
  message: OutboundMessage,
): Promise<void> {
  const place = { channel, ...(threadTs ? { thread_ts: threadTs } : {}) };
  switch (message.kind) {
    case 'text':
      await callSlack(context, 'chat.postMessage', { ...place, text: escapeSlack(message.text) });
      return;
    case 'approval': {
      const value = (answer: 'y' | 'n') => `${answer}:${message.taskId}:${message.approvalRef}`;
      const text = escapeSlack(message.text);
      await callSlack(context, 'chat.postMessage', {
        ...place,
        // The text is the notification and the fallback; the blocks are what Slack shows.
        text,
        blocks: [
          {
            type: 'section',
            text: { type: 'plain_text', text: message.text.slice(0, MAX_SECTION_TEXT), emoji: false },
          },
          {
            type: 'actions',
            block_id: `openviber_approval_${message.approvalRef}`,
            elements: [
              {
                type: 'button',
                action_id: APPROVE_ACTION,
                style: 'primary',
                text: { type: 'plain_text', text: 'Approve' },
                value: value('y'),
              },
              {
                type: 'button',
                action_id: DENY_ACTION,
                style: 'danger',
                text: { type: 'plain_text', text: 'Deny' },
                value: value('n'),
              },
            ],
          },
        ],
      });
      return;
    }
    case 'file': {
      // The external upload in three steps (files.upload is retired): ask for a URL, send the
      // bytes there, then share the file into the channel and thread.
      const bytes = Buffer.from(message.base64, 'base64');
      const { upload_url: uploadUrl, file_id: fileId } = await callSlack<{
        upload_url?: string;
        file_id?: string;
      }>(context, 'files.getUploadURLExternal', { filename: message.name, length: bytes.byteLength }, 'form');
      if (!uploadUrl || !fileId) {
        throw new ChannelSendError('slack files.getUploadURLExternal: no upload_url', { retryable: true });
      }
      await uploadSlackBytes(context, uploadUrl, bytes);
      await callSlack(
        context,
        'files.completeUploadExternal',
        {
          files: [{ id: fileId, title: message.name }],
          channel_id: channel,
          ...(threadTs ? { thread_ts: threadTs } : {}),
          ...(message.caption ? { initial_comment: escapeSlack(message.caption.slice(0, MAX_TEXT)) } : {}),
        },
        'form',
      );
      return;
    }
  }
}
