import type {
  AutonomyMode,
  ChannelDeliveryStatus,
  ChannelKind,
  ChannelSenderStatus,
} from '../../protocol/index.ts';
import type {
  ChannelFollowRecord,
  ChannelRecord,
  ChannelSenderRecord,
  ConversationRecord,
  DeliveryRecord,
  PendingInboundRecord,
} from './channels-store.ts';

// The channels' rows as both stores read and write them: the same columns, JSON kept as text.

type Row = Record<string, unknown>;

export const CHANNEL_COLUMNS = [
  'id',
  'kind',
  'name',
  'config',
  'sealed_secrets',
  'viber_id',
  'environment_id',
  'mode',
  'enabled',
  'last_error',
  'last_error_at',
  'created_at',
  'updated_at',
] as const;

export function channelParams(
  channel: ChannelRecord,
): Record<(typeof CHANNEL_COLUMNS)[number], string | boolean | null> {
  return {
    id: channel.id,
    kind: channel.kind,
    name: channel.name,
    config: JSON.stringify(channel.config),
    sealed_secrets: JSON.stringify(channel.sealedSecrets),
    viber_id: channel.viberId,
    environment_id: channel.environmentId,
    mode: channel.mode,
    enabled: channel.enabled,
    last_error: channel.lastError,
    last_error_at: channel.lastErrorAt,
    created_at: channel.createdAt,
    updated_at: channel.updatedAt,
  };
}

export function channelFromRow(row: Row): ChannelRecord {
  return {
    id: row.id as string,
    kind: row.kind as ChannelKind,
    name: row.name as string,
    config: JSON.parse(row.config as string),
    sealedSecrets: JSON.parse(row.sealed_secrets as string),
    viberId: (row.viber_id as string | null) ?? null,
    environmentId: (row.environment_id as string | null) ?? null,
    mode: (row.mode as AutonomyMode | null) ?? null,
    enabled: Boolean(row.enabled),
    lastError: (row.last_error as string | null) ?? null,
    lastErrorAt: (row.last_error_at as string | null) ?? null,
    createdAt: row.created_at as string,
    updatedAt: row.updated_at as string,
  };
}

export function senderFromRow(row: Row): ChannelSenderRecord {
  return {
    channelId: row.channel_id as string,
    senderId: row.sender_id as string,
    displayName: row.display_name as string,
    status: row.status as ChannelSenderStatus,
    codeHash: (row.code_hash as string | null) ?? null,
    createdAt: row.created_at as string,
    updatedAt: row.updated_at as string,
  };
}

export function conversationFromRow(row: Row): ConversationRecord {
  return {
    channelId: row.channel_id as string,
    conversationKey: row.conversation_key as string,
    target: JSON.parse(row.target as string),
    taskId: (row.task_id as string | null) ?? null,
    messages: JSON.parse(row.messages as string),
    updatedAt: row.updated_at as string,
  };
}

export function followFromRow(row: Row): ChannelFollowRecord {
  return {
    taskId: row.task_id as string,
    channelId: row.channel_id as string,
    conversationKey: row.conversation_key as string,
    createdAt: row.created_at as string,
    finishedAt: (row.finished_at as string | null) ?? null,
  };
}

export function deliveryFromRow(row: Row): DeliveryRecord {
  return {
    id: row.id as string,
    channelId: row.channel_id as string,
    dedupeKey: row.dedupe_key as string,
    target: JSON.parse(row.target as string),
    message: JSON.parse(row.message as string),
    status: row.status as ChannelDeliveryStatus,
    attempts: Number(row.attempts),
    partsSent: Number(row.parts_sent),
    nextAttemptAt: (row.next_attempt_at as string | null) ?? null,
    lastError: (row.last_error as string | null) ?? null,
    createdAt: row.created_at as string,
    sentAt: (row.sent_at as string | null) ?? null,
  };
}

export function pendingFromRow(row: Row): PendingInboundRecord {
  return {
    channelId: row.channel_id as string,
    eventId: row.event_id as string,
    event: JSON.parse(row.payload as string),
    receivedAt: row.received_at as string,
    attempts: Number(row.attempts),
  };
}
