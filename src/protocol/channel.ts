import { z } from 'zod';
import { AutonomyModeSchema } from './task.ts';

/**
 * Chat channels (docs/channels.md): the gateway's connections to chat platforms. A channel is one
 * bot or endpoint on one platform; its people ("senders") pair like devices, each chat (or thread)
 * is one conversation with one task at a time, and answers go back through a durable queue.
 */

/** The platforms a channel speaks; each has one adapter in src/gateway/channels/. */
export const ChannelKindSchema = z.enum(['telegram', 'webhook', 'slack', 'discord']);
export type ChannelKind = z.infer<typeof ChannelKindSchema>;

/** A sender starts `pending` (it was sent a pairing code), then an operator allows or blocks it. */
export const ChannelSenderStatusSchema = z.enum(['pending', 'allowed', 'blocked']);
export type ChannelSenderStatus = z.infer<typeof ChannelSenderStatusSchema>;

export const ChannelDeliveryStatusSchema = z.enum(['queued', 'sent', 'failed']);
export type ChannelDeliveryStatus = z.infer<typeof ChannelDeliveryStatusSchema>;

/**
 * A channel's settings that are not secret, per kind (checked by the kind's adapter):
 * `apiBaseUrl` (the platform's API, for a self-hosted Bot API server or a test fixture),
 * Telegram's `receive` (`polling`, the default, or `webhook`), the webhook channel's `url`.
 */
export const ChannelConfigSchema = z
  .record(
    z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,63}$/, 'a setting name is a letter then letters or digits'),
    z.union([z.string().max(2000), z.number(), z.boolean()]),
  )
  .refine((config) => Object.keys(config).length <= 32, 'at most 32 settings');
export type ChannelConfig = z.infer<typeof ChannelConfigSchema>;

/** Secret settings by name (`botToken`, `signingSecret`, ...): write-only; null deletes one. */
const SecretValueSchema = z.string().min(1).max(4096);
const SecretNameSchema = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9]{0,63}$/, 'a secret name is a letter then letters or digits');

export const CreateChannelBodySchema = z.strictObject({
  kind: ChannelKindSchema,
  name: z.string().trim().min(1).max(200),
  config: ChannelConfigSchema.optional(),
  secrets: z.record(SecretNameSchema, SecretValueSchema).optional(),
  /** Where the channel's tasks run: a viber, or an environment (placed like any task in it). */
  viberId: z.string().min(1).max(200).optional(),
  environmentId: z.string().min(1).max(200).optional(),
  /** The autonomy mode of the channel's tasks; the viber's default when absent. */
  mode: AutonomyModeSchema.optional(),
});
export type CreateChannelBody = z.infer<typeof CreateChannelBodySchema>;

export const UpdateChannelBodySchema = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  /** Replaces the settings that are not secret. */
  config: ChannelConfigSchema.optional(),
  /** Sets (a string) or deletes (null) each named secret; others are kept. */
  secrets: z.record(SecretNameSchema, SecretValueSchema.nullable()).optional(),
  viberId: z.string().min(1).max(200).nullable().optional(),
  environmentId: z.string().min(1).max(200).nullable().optional(),
  mode: AutonomyModeSchema.nullable().optional(),
  /** A disabled channel neither polls nor accepts webhooks; queued answers wait. */
  enabled: z.boolean().optional(),
});
export type UpdateChannelBody = z.infer<typeof UpdateChannelBodySchema>;

export const ChannelViewSchema = z.object({
  id: z.string(),
  kind: ChannelKindSchema,
  name: z.string(),
  config: ChannelConfigSchema,
  /** Which secrets are set; their values never leave the gateway. */
  secrets: z.record(z.string(), z.object({ set: z.literal(true) })),
  viberId: z.string().nullable(),
  environmentId: z.string().nullable(),
  mode: AutonomyModeSchema.nullable(),
  enabled: z.boolean(),
  /** Where the platform posts updates (Telegram webhook mode, the generic webhook). */
  webhookUrl: z.string(),
  /** `failing` after a delivery failed its last attempt or the platform refused the bot. */
  status: z.enum(['ok', 'failing', 'disabled']),
  lastError: z.string().nullable(),
  lastErrorAt: z.string().nullable(),
  queuedDeliveries: z.number().int().nonnegative(),
  failedDeliveries: z.number().int().nonnegative(),
  pendingSenders: z.number().int().nonnegative(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type ChannelView = z.infer<typeof ChannelViewSchema>;

export const ChannelListResponseSchema = z.object({ channels: z.array(ChannelViewSchema) });
export type ChannelListResponse = z.infer<typeof ChannelListResponseSchema>;

export const ChannelTestResponseSchema = z.object({
  ok: z.boolean(),
  /** What the platform said: the bot's name, or why it refused. */
  detail: z.string(),
});
export type ChannelTestResponse = z.infer<typeof ChannelTestResponseSchema>;

export const ChannelSenderViewSchema = z.object({
  channelId: z.string(),
  senderId: z.string(),
  displayName: z.string(),
  status: ChannelSenderStatusSchema,
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type ChannelSenderView = z.infer<typeof ChannelSenderViewSchema>;

export const ChannelSenderListResponseSchema = z.object({ senders: z.array(ChannelSenderViewSchema) });

/** Names a sender by the pairing code it was sent, or by channel and sender id. */
export const ChannelSenderDecisionBodySchema = z.union([
  z.strictObject({ code: z.string().trim().min(4).max(32) }),
  z.strictObject({ channelId: z.string().min(1).max(200), senderId: z.string().min(1).max(200) }),
]);
export type ChannelSenderDecisionBody = z.infer<typeof ChannelSenderDecisionBodySchema>;

export const ChannelDeliveryViewSchema = z.object({
  id: z.string(),
  channelId: z.string(),
  /** What the answer is for (`answer:<taskId>`, `approval:<taskId>:<approvalId>`, ...). */
  dedupeKey: z.string(),
  status: ChannelDeliveryStatusSchema,
  attempts: z.number().int().nonnegative(),
  nextAttemptAt: z.string().nullable(),
  lastError: z.string().nullable(),
  createdAt: z.string(),
  sentAt: z.string().nullable(),
});
export type ChannelDeliveryView = z.infer<typeof ChannelDeliveryViewSchema>;

export const ChannelDeliveryListResponseSchema = z.object({ deliveries: z.array(ChannelDeliveryViewSchema) });

export const ChannelIdParamsSchema = z.strictObject({ channelId: z.string().min(1).max(200) });
export const ChannelDeletedResponseSchema = z.object({ id: z.string(), deleted: z.literal(true) });

/** What a webhook answers the platform: accepted (or refused with an `{error}` body). */
export const ChannelWebhookResponseSchema = z.looseObject({ ok: z.boolean() });
