import { z } from 'zod';
import {
  ChannelDeletedResponseSchema,
  ChannelDeliveryListResponseSchema,
  ChannelIdParamsSchema,
  ChannelListResponseSchema,
  ChannelSenderDecisionBodySchema,
  ChannelSenderListResponseSchema,
  ChannelSenderStatusSchema,
  ChannelSenderViewSchema,
  ChannelTestResponseSchema,
  ChannelViewSchema,
  ChannelWebhookResponseSchema,
  CreateChannelBodySchema,
  UpdateChannelBodySchema,
} from './channel.ts';
import type { RestRoute } from './rest-route.ts';

/**
 * The channels routes (docs/channels.md). Managing channels and deciding who may talk to them is
 * pairing, so every route needs `devices.admin`; the webhook is public and proves itself with the
 * platform's signature instead.
 */

export const ChannelSenderListQuerySchema = z.object({ status: ChannelSenderStatusSchema.optional() });
export const ChannelDeliveryListQuerySchema = z.object({
  limit: z.coerce.number<number>().int().min(1).max(200).optional(),
});

export const CHANNEL_ROUTES = {
  'channels.list': {
    kind: 'json',
    method: 'GET',
    path: '/api/channels',
    scope: 'devices.admin',
    summary: 'Every channel with its status, last error, queued deliveries and pending senders.',
    responses: { 200: ChannelListResponseSchema },
    idempotencyKey: false,
  },
  'channels.create': {
    kind: 'json',
    method: 'POST',
    path: '/api/channels',
    scope: 'devices.admin',
    summary: 'Adds a channel; its secrets are sealed under the master key and never returned.',
    body: CreateChannelBodySchema,
    responses: { 201: ChannelViewSchema },
    idempotencyKey: true,
  },
  'channels.get': {
    kind: 'json',
    method: 'GET',
    path: '/api/channels/:channelId',
    scope: 'devices.admin',
    summary: 'One channel.',
    params: ChannelIdParamsSchema,
    responses: { 200: ChannelViewSchema },
    idempotencyKey: false,
  },
  'channels.update': {
    kind: 'json',
    method: 'PUT',
    path: '/api/channels/:channelId',
    scope: 'devices.admin',
    summary: 'Changes a channel: its name, settings, target, mode, secrets (set or delete each), or enabled.',
    params: ChannelIdParamsSchema,
    body: UpdateChannelBodySchema,
    responses: { 200: ChannelViewSchema },
    idempotencyKey: false,
  },
  'channels.delete': {
    kind: 'json',
    method: 'DELETE',
    path: '/api/channels/:channelId',
    scope: 'devices.admin',
    summary: 'Removes a channel with its senders, conversations and queued deliveries.',
    params: ChannelIdParamsSchema,
    responses: { 200: ChannelDeletedResponseSchema },
    idempotencyKey: false,
  },
  'channels.test': {
    kind: 'json',
    method: 'POST',
    path: '/api/channels/:channelId/test',
    scope: 'devices.admin',
    summary:
      "Asks the platform whether the channel's credentials work (Telegram getMe, a signed webhook ping).",
    params: ChannelIdParamsSchema,
    responses: { 200: ChannelTestResponseSchema },
    idempotencyKey: false,
  },
  'channels.senders': {
    kind: 'json',
    method: 'GET',
    path: '/api/channels/:channelId/senders',
    scope: 'devices.admin',
    summary: 'The people who wrote to a channel: pending (sent a pairing code), allowed, blocked.',
    params: ChannelIdParamsSchema,
    query: ChannelSenderListQuerySchema,
    responses: { 200: ChannelSenderListResponseSchema },
    idempotencyKey: false,
  },
  'channels.deliveries': {
    kind: 'json',
    method: 'GET',
    path: '/api/channels/:channelId/deliveries',
    scope: 'devices.admin',
    summary: "The channel's recent outbound deliveries, newest first, with their attempts and errors.",
    params: ChannelIdParamsSchema,
    query: ChannelDeliveryListQuerySchema,
    responses: { 200: ChannelDeliveryListResponseSchema },
    idempotencyKey: false,
  },
  'channelSenders.approve': {
    kind: 'json',
    method: 'POST',
    path: '/api/channel-senders/approve',
    scope: 'devices.admin',
    summary: 'Allows a sender, named by the pairing code it was sent or by channel and sender id.',
    body: ChannelSenderDecisionBodySchema,
    responses: { 200: ChannelSenderViewSchema },
    idempotencyKey: true,
  },
  'channelSenders.block': {
    kind: 'json',
    method: 'POST',
    path: '/api/channel-senders/block',
    scope: 'devices.admin',
    summary: 'Blocks a sender: its messages are ignored from now on.',
    body: ChannelSenderDecisionBodySchema,
    responses: { 200: ChannelSenderViewSchema },
    idempotencyKey: true,
  },
  'channels.webhook': {
    kind: 'json',
    method: 'POST',
    path: '/channels/:channelId/webhook',
    scope: 'public',
    summary:
      "A platform's updates for a channel (Telegram webhook mode, the generic signed webhook); verified by the platform's signature or secret token, never by a session.",
    params: ChannelIdParamsSchema,
    responses: { 200: ChannelWebhookResponseSchema },
    idempotencyKey: false,
  },
} as const satisfies Record<string, RestRoute>;
