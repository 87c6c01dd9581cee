import type { InboundEvent, InboundFile, ReplyTarget } from '../channel-adapter.ts';

/**
 * Reading Slack's payloads (Events API callbacks, interactivity) into the service's events. Only
 * the fields read here are typed; anything else Slack sends is ignored.
 */

export interface SlackFile {
  id?: string;
  name?: string;
  title?: string;
  mimetype?: string;
  size?: number;
  url_private?: string;
  url_private_download?: string;
}

export interface SlackMessageEvent {
  type: string;
  subtype?: string;
  channel?: string;
  channel_type?: string;
  user?: string;
  bot_id?: string;
  text?: string;
  ts?: string;
  thread_ts?: string;
  files?: SlackFile[];
}

export interface SlackEventCallback {
  type: 'event_callback';
  event_id?: string;
  event?: SlackMessageEvent;
  authorizations?: Array<{ user_id?: string; is_bot?: boolean }>;
}

export interface SlackBlockActions {
  type: 'block_actions';
  trigger_id?: string;
  user?: { id?: string; username?: string; name?: string };
  channel?: { id?: string };
  container?: { channel_id?: string; message_ts?: string; thread_ts?: string };
  message?: { ts?: string; thread_ts?: string; text?: string };
  actions?: Array<{ action_id?: string; value?: string; action_ts?: string }>;
}

/** The action ids of the Approve and Deny buttons; their value is `<y|n>:<taskId>:<ref>`. */
export const APPROVE_ACTION = 'openviber_approve';
export const DENY_ACTION = 'openviber_deny';

/**
 * Message subtypes that are someone writing: a plain message, one with files, a thread reply also
 * sent to the channel. Edits, deletions, joins, bot messages and the rest are not.
 */
const WRITTEN_SUBTYPES = new Set([undefined, 'file_share', 'thread_broadcast']);

/** A direct message with the bot (Slack `im`): the whole chat is one conversation, threads aside. */
const isDirect = (channel: string, channelType?: string) => channelType === 'im' || /^D/.test(channel);

/**
 * Where a message belongs and where its answer goes. In a channel every message without a thread
 * starts one (its own ts) and the answer goes into that thread; in a direct message a message
 * outside a thread is the chat itself, answered in place.
 */
export function placeOf(
  channel: string,
  ts: string,
  threadTs: string | undefined,
  channelType?: string,
): { conversationKey: string; replyTarget: ReplyTarget } {
  const thread = threadTs ?? (isDirect(channel, channelType) ? undefined : ts);
  return {
    conversationKey: thread ? `${channel}:${thread}` : channel,
    replyTarget: thread ? { channel, threadTs: thread } : { channel },
  };
}

/**
 * A `message` or `app_mention` event from a person: one InboundMessage. The event id is the
 * message's channel and ts, not Slack's event_id: a mention in a channel the bot reads arrives
 * twice (a `message` and an `app_mention`, each with its own event_id) and must start one task.
 */
export function messageEvents(callback: SlackEventCallback, ownUserIds: readonly string[]): InboundEvent[] {
  const event = callback.event;
  if (!event || (event.type !== 'message' && event.type !== 'app_mention')) return [];
  if (!WRITTEN_SUBTYPES.has(event.subtype) || event.bot_id) return [];
  const { channel, user, ts } = event;
  if (!channel || !user || !ts || ownUserIds.includes(user)) return [];
  const files = (event.files ?? []).flatMap(fileOf);
  // The bot's own mention is how the person called it, not part of what they asked.
  let text = event.text ?? '';
  for (const id of ownUserIds) text = text.replaceAll(`<@${id}>`, '');
  text = unescapeSlack(text).trim();
  if (!text && files.length === 0) return [];
  return [
    {
      kind: 'message',
      eventId: `message:${channel}:${ts}`,
      senderId: user,
      senderName: user,
      ...placeOf(channel, ts, event.thread_ts, event.channel_type),
      text,
      files,
    },
  ];
}

/** A press of an Approve or Deny button: one InboundApproval; any other action: nothing. */
export function actionEvents(payload: SlackBlockActions): InboundEvent[] {
  const action = payload.actions?.find(
    (candidate) => candidate.action_id === APPROVE_ACTION || candidate.action_id === DENY_ACTION,
  );
  const match = /^([yn]):([^:]*):([0-9a-f]{8})$/.exec(action?.value ?? '');
  const user = payload.user?.id;
  const channel = payload.channel?.id ?? payload.container?.channel_id;
  const ts = payload.message?.ts ?? payload.container?.message_ts;
  if (!action || !match || !user || !channel || !ts) return [];
  const threadTs = payload.message?.thread_ts ?? payload.container?.thread_ts;
  return [
    {
      kind: 'approval',
      // The trigger id is unique per press and the same when Slack redelivers it.
      eventId: `action:${payload.trigger_id ?? `${channel}:${ts}:${user}:${action.action_ts ?? ''}`}`,
      senderId: user,
      senderName: payload.user?.name ?? payload.user?.username ?? user,
      ...placeOf(channel, ts, threadTs),
      taskId: match[2] || null,
      approvalRef: match[3]!,
      approved: match[1] === 'y',
      // The prompt, to show the decision on it instead of its buttons (chat.update).
      press: { channel, ts, ...(payload.message?.text ? { text: unescapeSlack(payload.message.text) } : {}) },
    },
  ];
}

function fileOf(file: SlackFile): InboundFile[] {
  const ref = file.url_private_download ?? file.url_private;
  if (!ref) return [];
  return [
    {
      ref,
      name: file.name ?? file.title ?? file.id ?? 'file',
      mediaType: file.mimetype || 'application/octet-stream',
      ...(typeof file.size === 'number' ? { size: file.size } : {}),
    },
  ];
}

/** Slack escapes these three in message text (api.slack.com/reference/surfaces/formatting). */
export function escapeSlack(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

function unescapeSlack(text: string): string {
  return text.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');
}
