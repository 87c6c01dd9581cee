import { OpenViberError } from '../../core/errors.ts';
import type { JobDelivery } from '../../protocol/index.ts';
import type { GatewayStore } from '../store/index.ts';
import { adapterFor } from './channel-adapters.ts';
import type { Channels } from './index.ts';

/**
 * Scheduled jobs whose results go to a chat (docs/jobs.md, "Delivery"; docs/channels.md): the
 * two hooks the gateway hands openJobs, so jobs know nothing of channels. `deliver` follows each
 * run's task with Channels.followTask; `checkDelivery` refuses, when a job is created or changed,
 * a channel that does not exist or a conversation key that is not one of its platform's chats.
 */
export function jobDeliveryHooks(store: GatewayStore, channels: () => Channels) {
  return {
    async deliver({ job, task }: { job: { delivery: JobDelivery }; task: { id: string } }): Promise<void> {
      const { delivery } = job;
      if (delivery.to !== 'channel') return;
      await channels().followTask(task.id, {
        channelId: delivery.channelId,
        conversationKey: delivery.conversationKey,
      });
    },
    async checkDelivery(delivery: JobDelivery): Promise<void> {
      if (delivery.to !== 'channel') return;
      const channel = await store.getChannel(delivery.channelId);
      if (!channel) {
        throw new OpenViberError(
          'validation_failed',
          `delivery.channelId: channel ${delivery.channelId} not found`,
          400,
        );
      }
      const known = await store.getConversation(channel.id, delivery.conversationKey);
      if (!known && !adapterFor(channel.kind)?.targetFor?.(delivery.conversationKey)) {
        throw new OpenViberError(
          'validation_failed',
          `delivery.conversationKey: "${delivery.conversationKey}" is not a ${channel.kind} chat (Telegram: the chat id, or <chat id>:<topic id>; Slack: <channel id>, or <channel id>:<thread ts>; Discord: the channel id)`,
          400,
        );
      }
    },
  };
}
