import type { ChannelKind } from '../../protocol/index.ts';
import type { ChannelAdapter } from './channel-adapter.ts';
import { discordAdapter } from './discord/discord-adapter.ts';
import { slackAdapter } from './slack/slack-adapter.ts';
import { telegramAdapter } from './telegram/telegram-adapter.ts';
import { webhookAdapter } from './webhook/webhook-adapter.ts';

/**
 * The adapter of each kind. A kind without one (yet) can be stored but not created: the create
 * route refuses it with a 400 that says so.
 */
export const CHANNEL_ADAPTERS: Partial<Record<ChannelKind, ChannelAdapter>> = {
  telegram: telegramAdapter,
  webhook: webhookAdapter,
  slack: slackAdapter,
  discord: discordAdapter,
};

export function adapterFor(kind: ChannelKind): ChannelAdapter | undefined {
  return CHANNEL_ADAPTERS[kind];
}
