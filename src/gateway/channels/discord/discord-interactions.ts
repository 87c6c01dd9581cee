import type { InboundEvent } from '../channel-adapter.ts';

/**
 * Reading Discord interactions (discord.com/developers/docs/interactions/receiving-and-responding)
 * into the service's events. Only the fields read here are typed.
 */

export const InteractionType = { ping: 1, command: 2, component: 3 } as const;
/** Answers: PONG; a message; "thinking..." then follow-ups; a button press taken, the message left as it is. */
export const ResponseType = { pong: 1, channelMessage: 4, deferredMessage: 5, deferredUpdate: 6 } as const;

interface DiscordUser {
  id?: string;
  username?: string;
  global_name?: string | null;
}

interface CommandOption {
  name?: string;
  type?: number;
  value?: unknown;
  options?: CommandOption[];
}

export interface Interaction {
  type?: number;
  id?: string;
  application_id?: string;
  token?: string;
  channel_id?: string;
  channel?: { id?: string };
  member?: { user?: DiscordUser };
  user?: DiscordUser;
  message?: { id?: string; content?: string };
  data?: { name?: string; options?: CommandOption[]; custom_id?: string };
}

/** A button's custom_id: `ov:<y|n>:<taskId>:<ref>` (at most 100 characters, Discord's limit). */
export const approvalCustomId = (answer: 'y' | 'n', taskId: string, ref: string) =>
  `ov:${answer}:${taskId}:${ref}`.slice(0, 100);

/** Seals an interaction token before it is stored anywhere (the channel's `seal`). */
export type SealToken = (token: string) => string;

/**
 * The interaction's token for follow-ups while that is valid, sealed (it is stored with the event,
 * the conversation and the delivery queue, and it lets anyone post as the bot for 15 minutes).
 * `at` is when Discord signed it (ms), to know when it expires. Nothing when it cannot be sealed.
 */
function interactionOf(interaction: Interaction, at: number, seal: SealToken) {
  const sealed = interaction.application_id && interaction.token ? seal(interaction.token) : '';
  return sealed
    ? { applicationId: interaction.application_id, interactionToken: sealed, interactionAt: at }
    : {};
}

/** Where the answers to an interaction go: its channel (a thread is a channel), and its follow-ups. */
function targetOf(
  interaction: Interaction,
  channelId: string,
  at: number,
  seal: SealToken,
  replyTo?: string,
) {
  return { channelId, ...interactionOf(interaction, at, seal), ...(replyTo ? { replyTo } : {}) };
}

function senderOf(interaction: Interaction): { senderId: string; senderName: string } | undefined {
  // In a server the person is `member.user`; in a direct message, `user`.
  const user = interaction.member?.user ?? interaction.user;
  if (!user?.id) return undefined;
  return { senderId: user.id, senderName: user.global_name || user.username || user.id };
}

/** The command's text: its `prompt` option, else its string options in order. */
function promptOf(options: readonly CommandOption[] = []): string {
  const flat = options.flatMap((option) => [option, ...(option.options ?? [])]);
  const prompt = flat.find((option) => option.name === 'prompt' && typeof option.value === 'string');
  if (prompt) return String(prompt.value);
  return flat
    .filter((option) => typeof option.value === 'string')
    .map((option) => String(option.value))
    .join(' ');
}

/** An application command (`/ask prompt:<text>`): one InboundMessage, or nothing without text. */
export function commandEvents(interaction: Interaction, signedAtMs: number, seal: SealToken): InboundEvent[] {
  const sender = senderOf(interaction);
  const channelId = interaction.channel_id ?? interaction.channel?.id;
  const text = promptOf(interaction.data?.options).trim();
  if (!sender || !channelId || !interaction.id || !text) return [];
  return [
    {
      kind: 'message',
      eventId: interaction.id,
      ...sender,
      conversationKey: channelId,
      replyTarget: targetOf(interaction, channelId, signedAtMs, seal),
      text,
      files: [],
    },
  ];
}

/** A press of an Approve or Deny button: one InboundApproval; another component: nothing. */
export function componentEvents(
  interaction: Interaction,
  signedAtMs: number,
  seal: SealToken,
): InboundEvent[] {
  const match = /^ov:([yn]):([^:]*):([0-9a-f]{8})$/.exec(interaction.data?.custom_id ?? '');
  const sender = senderOf(interaction);
  const channelId = interaction.channel_id ?? interaction.channel?.id;
  if (!match || !sender || !channelId || !interaction.id) return [];
  return [
    {
      kind: 'approval',
      eventId: interaction.id,
      ...sender,
      conversationKey: channelId,
      replyTarget: targetOf(interaction, channelId, signedAtMs, seal, interaction.message?.id),
      taskId: match[2] || null,
      approvalRef: match[3]!,
      approved: match[1] === 'y',
      // The press's own token: an ephemeral note to the presser, and the prompt edited (@original).
      press: {
        ...interactionOf(interaction, signedAtMs, seal),
        ...(interaction.message?.content ? { content: interaction.message.content } : {}),
      },
    },
  ];
}
