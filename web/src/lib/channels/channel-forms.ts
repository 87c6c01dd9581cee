import type { ChannelView } from '#lib/protocol.ts';

/**
 * What the add-channel form asks for each kind (docs/channels.md, "Setting one up"): secrets go
 * to `secrets` (sealed, never shown again), the rest to `config`. `when` shows a Telegram field
 * only for that way of receiving.
 */
export interface ChannelField {
  name: string;
  label: string;
  secret?: boolean;
  required?: boolean;
  type?: 'text' | 'url';
  placeholder?: string;
  hint?: string;
  when?: 'polling' | 'webhook';
}

export type ChannelFormKind = ChannelView['kind'];

const apiBaseUrl = (placeholder: string, hint: string): ChannelField => ({
  name: 'apiBaseUrl',
  label: 'API base URL',
  placeholder,
  hint,
});

export const CHANNEL_FORMS: Record<
  ChannelFormKind,
  { label: string; fields: ChannelField[]; advanced: ChannelField[] }
> = {
  telegram: {
    label: 'Telegram bot',
    fields: [
      { name: 'botToken', label: 'Bot token (from @BotFather)', secret: true, required: true },
      {
        name: 'webhookSecret',
        label: 'Webhook secret token',
        secret: true,
        required: true,
        when: 'webhook',
        hint: 'Telegram sends it with every update; others are refused.',
      },
    ],
    advanced: [apiBaseUrl('https://api.telegram.org', 'A self-hosted Bot API server, for example.')],
  },
  slack: {
    label: 'Slack app',
    fields: [
      {
        name: 'botToken',
        label: 'Bot User OAuth Token (xoxb-…)',
        secret: true,
        required: true,
        hint: 'OAuth & Permissions, after installing the app.',
      },
      {
        name: 'signingSecret',
        label: 'Signing secret',
        secret: true,
        required: true,
        hint: 'Basic Information, App Credentials.',
      },
    ],
    advanced: [
      { name: 'botUserId', label: 'Bot user id', placeholder: 'U0123ABCD', hint: 'Optional: Slack names it in each event.' },
      apiBaseUrl('https://slack.com', 'The Web API is at <base>/api/<method>.'),
    ],
  },
  discord: {
    label: 'Discord application',
    fields: [
      {
        name: 'publicKey',
        label: 'Public key',
        required: true,
        placeholder: '64 hex digits',
        hint: 'General Information in the developer portal; not secret.',
      },
      { name: 'botToken', label: 'Bot token', secret: true, required: true, hint: 'Bot, Reset Token.' },
    ],
    advanced: [apiBaseUrl('https://discord.com/api/v10', 'Discord’s REST API with its version.')],
  },
  webhook: {
    label: 'Signed webhook',
    fields: [
      {
        name: 'url',
        label: 'Answers go to',
        type: 'url',
        required: true,
        placeholder: 'https://example.com/answers',
      },
      {
        name: 'signingSecret',
        label: 'Signing secret',
        secret: true,
        required: true,
        hint: 'Both sides sign with it (HMAC-SHA256).',
      },
    ],
    advanced: [],
  },
};

/** Where to paste the webhook URL, for a channel the platform posts to; null for Telegram polling. */
export function pasteHint(channel: ChannelView): string | null {
  switch (channel.kind) {
    case 'slack':
      return 'Paste this URL as the Request URL of Event Subscriptions and of Interactivity & Shortcuts in your Slack app.';
    case 'discord':
      return 'Paste this URL as the Interactions Endpoint URL (General Information) of your Discord application.';
    case 'webhook':
      return 'Post signed events to this URL.';
    case 'telegram':
      return channel.config.receive === 'webhook'
        ? 'The gateway registered this URL with Telegram (setWebhook); it must be reachable over HTTPS.'
        : null;
  }
}
