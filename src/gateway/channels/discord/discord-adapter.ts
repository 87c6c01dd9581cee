import type {
  ChannelAdapter,
  ChannelContext,
  OutboundMessage,
  ReceiveResult,
  ReplyTarget,
} from '../channel-adapter.ts';
import { ChannelSendError } from '../channel-send-error.ts';
import { callDiscord, DiscordApiError } from './discord-api.ts';
import {
  approvalCustomId,
  commandEvents,
  componentEvents,
  type Interaction,
  InteractionType,
  ResponseType,
} from './discord-interactions.ts';
import { isPublicKeyHex, verifyDiscordSignature } from './discord-signature.ts';

/** Discord's limit on one message's content, in characters. */
const MAX_TEXT = 2_000;
/**
 * An interaction token takes follow-ups for 15 minutes; past 14 (a margin for a slow retry or a
 * clock apart) answers go to the channel as the bot's own messages.
 */
const FOLLOW_UP_MS = 14 * 60_000;
/** Ephemeral: a follow-up only the person who pressed the button sees. */
const EPHEMERAL = 1 << 6;
/** Model output must never ping @everyone, roles or people: no mention is resolved. */
const NO_MENTIONS = { parse: [] as string[] };

const refused = (status: number, code: string, message: string): ReceiveResult => ({
  events: [],
  response: { status, body: { ok: false, error: { code, message } } },
});
const answer = (type: number, events: ReceiveResult['events'] = []): ReceiveResult => ({
  events,
  response: { status: 200, body: { type } },
});

/**
 * Discord through its interactions endpoint (docs/channels.md, "Discord"): signed interactions in
 * (a slash command such as `/ask prompt:<text>`, Approve/Deny button presses), answers out as
 * interaction follow-ups while the token is valid, then as the bot's channel messages. Discord's
 * Gateway (the websocket that delivers plain channel messages) is not used: people talk to the
 * bot with the command.
 */
export const discordAdapter: ChannelAdapter = {
  kind: 'discord',
  maxTextLength: MAX_TEXT,
  requiredSecrets: ['botToken'],
  // Discord does not redeliver an interaction: one seen before is a replay, refused loudly.
  refusesReplays: true,

  checkConfig(config) {
    if (!isPublicKeyHex(config.publicKey))
      return "config.publicKey: the application's public key, 64 hex digits (developer portal, General Information)";
    const base = config.apiBaseUrl;
    if (base !== undefined && (typeof base !== 'string' || !/^https?:\/\//.test(base)))
      return 'config.apiBaseUrl: must be an http(s) URL';
    return null;
  },

  async receive(context, request) {
    const check = verifyDiscordSignature(
      String(context.config.publicKey ?? ''),
      request.headers,
      request.rawBody,
    );
    if (!check.ok) return refused(401, 'unauthorized', check.reason);
    let interaction: Interaction;
    try {
      interaction = JSON.parse(request.rawBody) as Interaction;
    } catch {
      return refused(400, 'bad_request', 'the body is not JSON');
    }
    if (typeof interaction !== 'object' || interaction === null)
      return refused(400, 'bad_request', 'not an interaction');
    const signedAtMs = check.timestamp * 1000;
    const seal = (token: string) => context.seal('interactionToken', token);
    switch (interaction.type) {
      case InteractionType.ping:
        return answer(ResponseType.pong);
      case InteractionType.command:
        // "Thinking..." now; the answer comes as a follow-up (the first one replaces it).
        return answer(ResponseType.deferredMessage, commandEvents(interaction, signedAtMs, seal));
      case InteractionType.component:
        // Taken at once; what happened is told by an ephemeral follow-up, and the prompt edited.
        return answer(ResponseType.deferredUpdate, componentEvents(interaction, signedAtMs, seal));
      default:
        return refused(400, 'bad_request', `interaction type ${String(interaction.type)} is not handled`);
    }
  },

  async send(context, target, message) {
    const channelId = target.channelId;
    if (typeof channelId !== 'string' || !/^\d{1,25}$/.test(channelId)) {
      throw new ChannelSendError('discord: the reply target has no channelId', { retryable: false });
    }
    const followUp = followUpPath(context, target);
    if (followUp) {
      try {
        await callDiscord(context, 'follow-up', 'POST', followUp, 'none', body(message, undefined));
        return;
      } catch (error) {
        // A token Discord no longer takes (expired early, the interaction deleted): the channel.
        if (!(error instanceof DiscordApiError && (error.status === 401 || error.status === 404)))
          throw error;
      }
    }
    const replyTo = typeof target.replyTo === 'string' ? target.replyTo : undefined;
    await callDiscord(
      context,
      'create message',
      'POST',
      `/channels/${channelId}/messages`,
      'bot',
      body(message, replyTo),
    );
  },

  refusedSenderResponse() {
    // Instead of "thinking..." that would never end: a note only the sender sees.
    return {
      status: 200,
      body: {
        type: ResponseType.channelMessage,
        data: {
          content: 'You are not allowed to use this bot.',
          flags: EPHEMERAL,
          allowed_mentions: NO_MENTIONS,
        },
      },
    };
  },

  async answerPress(context, press, { note, decided, by }) {
    const path = followUpPath(context, press);
    if (!path) return false;
    await callDiscord(context, 'follow-up', 'POST', path, 'none', {
      content: note.slice(0, MAX_TEXT),
      flags: EPHEMERAL,
      allowed_mentions: NO_MENTIONS,
    });
    if (decided) {
      // The prompt (the press's original message) shows the decision instead of its buttons.
      const prompt = typeof press.content === 'string' ? press.content : '';
      const decision = `${note.replace(/\.$/, '')}, by ${by}.`;
      await callDiscord(context, 'edit prompt', 'PATCH', `${path}/messages/@original`, 'none', {
        content: [prompt, decision].filter(Boolean).join('\n\n').slice(-MAX_TEXT),
        components: [],
        allowed_mentions: NO_MENTIONS,
      });
    }
    return true;
  },

  targetFor(conversationKey) {
    // A Discord conversation is a channel (a thread is a channel): answered as the bot's message.
    return /^\d{1,25}$/.test(conversationKey) ? { channelId: conversationKey } : undefined;
  },

  async test(context) {
    const me = await callDiscord<{ id?: string; username?: string }>(
      context,
      'users/@me',
      'GET',
      '/users/@me',
      'bot',
    );
    return `@${me.username ?? me.id ?? 'bot'}`;
  },
};

/** The follow-up route of the target's interaction, while its (sealed) token is valid and opens. */
function followUpPath(context: ChannelContext, target: ReplyTarget): string | undefined {
  const { applicationId, interactionToken, interactionAt } = target;
  if (typeof applicationId !== 'string' || !/^\d{1,25}$/.test(applicationId)) return undefined;
  if (typeof interactionToken !== 'string' || !interactionToken) return undefined;
  if (typeof interactionAt !== 'number' || Date.now() - interactionAt > FOLLOW_UP_MS) return undefined;
  // A token sealed under another master key (or stored in the clear by an older gateway) does not
  // open: the answer goes to the channel as a bot message instead.
  const token = context.open('interactionToken', interactionToken);
  if (!token) return undefined;
  return `/webhooks/${applicationId}/${encodeURIComponent(token)}`;
}

/** A message's body: JSON, or multipart with `payload_json` and `files[0]` for a file. */
function body(message: OutboundMessage, replyTo: string | undefined): Record<string, unknown> | FormData {
  const reference = replyTo ? { message_reference: { message_id: replyTo, fail_if_not_exists: false } } : {};
  switch (message.kind) {
    case 'text':
      return { content: message.text, allowed_mentions: NO_MENTIONS, ...reference };
    case 'approval':
      return {
        content: message.text,
        allowed_mentions: NO_MENTIONS,
        ...reference,
        components: [
          {
            type: 1, // an action row
            components: [
              {
                type: 2, // a button
                style: 3, // green
                label: 'Approve',
                custom_id: approvalCustomId('y', message.taskId, message.approvalRef),
              },
              {
                type: 2,
                style: 4, // red
                label: 'Deny',
                custom_id: approvalCustomId('n', message.taskId, message.approvalRef),
              },
            ],
          },
        ],
      };
    case 'file': {
      const form = new FormData();
      form.set(
        'payload_json',
        JSON.stringify({
          ...(message.caption ? { content: message.caption.slice(0, MAX_TEXT) } : {}),
          allowed_mentions: NO_MENTIONS,
          ...reference,
          attachments: [{ id: 0, filename: message.name }],
        }),
      );
      const blob = new Blob([Buffer.from(message.base64, 'base64')], { type: message.mediaType });
      form.set('files[0]', blob, message.name);
      return form;
    }
  }
}
