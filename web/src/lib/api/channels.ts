import type { RouteInput } from '#lib/client.ts';
import type {
  ChannelDeliveryView,
  ChannelSenderView,
  ChannelTestResponse,
  ChannelView,
} from '#lib/protocol.ts';
import { gateway, newIdempotencyKey } from './gateway.ts';

/**
 * Chat channels (`channels.*` and `channelSenders.*` in src/protocol/channel-api.ts): all of them
 * need `devices.admin`, as approving a sender is pairing. Secrets go in and never come back.
 */

export type CreateChannelInput = RouteInput<'channels.create'>['body'];

export async function listChannels(): Promise<ChannelView[]> {
  return (await gateway.call('channels.list')).channels;
}

export function createChannel(body: CreateChannelInput): Promise<ChannelView> {
  return gateway.call('channels.create', { body, idempotencyKey: newIdempotencyKey() });
}

export function setChannelEnabled(channelId: string, enabled: boolean): Promise<ChannelView> {
  return gateway.call('channels.update', { params: { channelId }, body: { enabled } });
}

export function deleteChannel(channelId: string): Promise<{ id: string; deleted: true }> {
  return gateway.call('channels.delete', { params: { channelId } });
}

export function testChannel(channelId: string): Promise<ChannelTestResponse> {
  return gateway.call('channels.test', { params: { channelId } });
}

export async function listSenders(channelId: string): Promise<ChannelSenderView[]> {
  return (await gateway.call('channels.senders', { params: { channelId } })).senders;
}

export async function listDeliveries(channelId: string): Promise<ChannelDeliveryView[]> {
  return (await gateway.call('channels.deliveries', { params: { channelId }, query: { limit: 20 } })).deliveries;
}

/** Allows (or blocks) a sender, by channel and sender id or by the pairing code it was sent. */
export function decideSender(
  decision: 'approve' | 'block',
  body: { channelId: string; senderId: string } | { code: string },
): Promise<ChannelSenderView> {
  return gateway.call(decision === 'approve' ? 'channelSenders.approve' : 'channelSenders.block', {
    body,
    idempotencyKey: newIdempotencyKey(),
  });
}
