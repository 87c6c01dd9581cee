import type {
  AutonomyMode,
  ChannelConfig,
  ChannelDeliveryStatus,
  ChannelKind,
  ChannelSenderStatus,
  ChatMessage,
} from '../../protocol/index.ts';

/** A channel as stored: secrets only sealed (`{name: sealed text}`), never in the clear. */
export interface ChannelRecord {
  id: string;
  kind: ChannelKind;
  name: string;
  config: ChannelConfig;
  sealedSecrets: Record<string, string>;
  viberId: string | null;
  environmentId: string | null;
  mode: AutonomyMode | null;
  enabled: boolean;
  lastError: string | null;
  lastErrorAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export type ChannelPatch = Partial<
  Pick<
    ChannelRecord,
    | 'name'
    | 'config'
    | 'sealedSecrets'
    | 'viberId'
    | 'environmentId'
    | 'mode'
    | 'enabled'
    | 'lastError'
    | 'lastErrorAt'
    | 'updatedAt'
  >
>;

/** A person on a platform who wrote to a channel. The pairing code is kept only as a hash. */
export interface ChannelSenderRecord {
  channelId: string;
  senderId: string;
  displayName: string;
  status: ChannelSenderStatus;
  codeHash: string | null;
  createdAt: string;
  updatedAt: string;
}

/** One chat (or thread of a chat): where answers go, its current task, what was said before it. */
export interface ConversationRecord {
  channelId: string;
  /** The chat id, or `<chat>:<thread>` for a thread: the adapter decides. */
  conversationKey: string;
  /** The adapter's reply target (chat, thread, message to reply to), as JSON-able data. */
  target: Record<string, unknown>;
  taskId: string | null;
  /** The conversation before its current task: handed to the next task when that one ended. */
  messages: ChatMessage[];
  updatedAt: string;
}

/** A task whose answer goes to a chat: the conversation's own tasks, or a job's (followTask). */
export interface ChannelFollowRecord {
  taskId: string;
  channelId: string;
  conversationKey: string;
  createdAt: string;
  finishedAt: string | null;
}

/** One outbound message in the durable queue; `dedupeKey` is unique, so it is queued once. */
export interface DeliveryRecord {
  id: string;
  channelId: string;
  dedupeKey: string;
  target: Record<string, unknown>;
  message: Record<string, unknown>;
  status: ChannelDeliveryStatus;
  attempts: number;
  /** Parts of a split text already sent: a retry goes on from the next one. */
  partsSent: number;
  nextAttemptAt: string | null;
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
}

export type NewDelivery = Pick<
  DeliveryRecord,
  'id' | 'channelId' | 'dedupeKey' | 'target' | 'message' | 'createdAt'
>;

/** An inbound event recorded but not yet acted on: the event as the adapter read it (JSON). */
export interface PendingInboundRecord {
  channelId: string;
  eventId: string;
  event: Record<string, unknown>;
  receivedAt: string;
  /** Claims so far, this one included: a gateway that died acting on it counted one. */
  attempts: number;
}

/** Which pending inbound events a claim takes. */
export interface InboundClaim {
  holder: string;
  now: string;
  leaseUntil: string;
  limit: number;
  /** Only events received before this (the gateway that heard one acts on it first). */
  receivedBefore?: string;
  /** Only this event (the gateway that just recorded it). */
  only?: { channelId: string; eventId: string };
}

/** How a failed attempt ends: another attempt at `nextAttemptAt`, or `failed` for good (null). */
export interface DeliveryFailure {
  error: string;
  nextAttemptAt: string | null;
}

/**
 * The channels' durable state (docs/channels.md). Everything several gateways must decide once is
 * decided here, not in memory: an inbound event is recorded once (`recordInbound`), an answer is
 * queued once (`enqueueDelivery` on its dedupe key), a queued delivery is claimed by one gateway
 * at a time (a lease), and one gateway at a time polls a bot (the poller lease, with its offset).
 */
export interface ChannelsStore {
  insertChannel(channel: ChannelRecord): Promise<void>;
  getChannel(id: string): Promise<ChannelRecord | null>;
  /** Oldest first. */
  listChannels(): Promise<ChannelRecord[]>;
  updateChannel(id: string, patch: ChannelPatch): Promise<ChannelRecord | null>;
  /** Deletes the channel and everything of it; false when there was none. */
  deleteChannel(id: string): Promise<boolean>;

  getSender(channelId: string, senderId: string): Promise<ChannelSenderRecord | null>;
  /** Inserts a sender, or returns the one already there (two gateways hearing the same first message). */
  insertSender(sender: ChannelSenderRecord): Promise<{ sender: ChannelSenderRecord; inserted: boolean }>;
  updateSender(
    channelId: string,
    senderId: string,
    patch: Partial<Pick<ChannelSenderRecord, 'status' | 'codeHash' | 'displayName' | 'updatedAt'>>,
  ): Promise<ChannelSenderRecord | null>;
  /** The pending sender whose pairing code has this hash, in any channel. */
  findSenderByCodeHash(codeHash: string): Promise<ChannelSenderRecord | null>;
  /** A channel's senders, pending first, then by creation. */
  listSenders(channelId: string): Promise<ChannelSenderRecord[]>;
  /** Per channel: senders pending. */
  countPendingSenders(): Promise<Map<string, number>>;

  getConversation(channelId: string, conversationKey: string): Promise<ConversationRecord | null>;
  /**
   * Takes the conversation's lease for `holder` until `leaseUntil` (creating the conversation with
   * `target` when it is new), when it is free, lapsed at `now` or already the holder's; null when
   * another holds it. One message of a chat is handled at a time, whichever gateway heard it, so
   * two messages never both start a task.
   */
  claimConversation(
    channelId: string,
    conversationKey: string,
    target: Record<string, unknown>,
    holder: string,
    now: string,
    leaseUntil: string,
  ): Promise<ConversationRecord | null>;
  /** Writes the conversation's task, messages and target, and frees the holder's lease. */
  saveConversation(conversation: ConversationRecord, holder: string): Promise<void>;
  /** Frees the holder's lease, changing nothing else. */
  releaseConversation(channelId: string, conversationKey: string, holder: string): Promise<void>;

  /**
   * Records an inbound event id; false when it was recorded before (a replay or a duplicate). With
   * `event`, the event is kept with its id, in the same statement, until `finishInbound`: the
   * platform is answered once it is recorded, and a gateway that dies before acting on it leaves
   * it for `claimInbound` (on any gateway).
   */
  recordInbound(
    channelId: string,
    eventId: string,
    at: string,
    event?: Record<string, unknown>,
  ): Promise<boolean>;
  /**
   * Leases recorded events not yet acted on (oldest first) whose lease is free or lapsed at `now`,
   * to `holder` until `leaseUntil`, counting an attempt on each: one gateway acts on each at a time.
   */
  claimInbound(claim: InboundClaim): Promise<PendingInboundRecord[]>;
  /** The holder acted on the event: its payload is dropped, its id kept for the dedupe. */
  finishInbound(channelId: string, eventId: string, holder: string): Promise<void>;
  /** Forgets inbound event ids recorded before `before`; returns how many. */
  purgeInbound(before: string): Promise<number>;

  /** Follows a task (again: the newest conversation wins). */
  followTask(follow: ChannelFollowRecord): Promise<void>;
  getFollow(taskId: string): Promise<ChannelFollowRecord | null>;
  /** Follows whose answer was not queued yet. */
  listOpenFollows(): Promise<ChannelFollowRecord[]>;
  finishFollow(taskId: string, at: string): Promise<void>;

  /** Queues a delivery; false when one with its dedupe key exists (nothing changes then). */
  enqueueDelivery(delivery: NewDelivery): Promise<boolean>;
  /**
   * Claims up to `limit` queued deliveries due at `now` whose lease is free or lapsed, for
   * `holder` until `leaseUntil`: no two gateways hold one at once. Oldest first.
   */
  claimDeliveries(holder: string, now: string, leaseUntil: string, limit: number): Promise<DeliveryRecord[]>;
  /** Notes parts of a split message sent, while the holder has the lease. */
  markDeliveryProgress(id: string, holder: string, partsSent: number): Promise<void>;
  completeDelivery(id: string, holder: string, at: string): Promise<void>;
  /** Counts the attempt and frees the lease; `nextAttemptAt` null fails it for good. */
  failDelivery(id: string, holder: string, failure: DeliveryFailure): Promise<DeliveryRecord | null>;
  /** A channel's deliveries, newest first. */
  listDeliveries(channelId: string, limit: number): Promise<DeliveryRecord[]>;
  /** Per channel: deliveries queued and failed. */
  countDeliveries(): Promise<Map<string, { queued: number; failed: number }>>;

  /**
   * Takes (or renews) the lease of a channel's poller for `holder` until `leaseUntil`, when it is
   * free, lapsed at `now` or already the holder's; returns the stored update offset, or null when
   * another gateway holds it.
   */
  claimPoller(
    channelId: string,
    holder: string,
    now: string,
    leaseUntil: string,
  ): Promise<{ offset: string | null } | null>;
  /** Saves the offset after a batch of updates is recorded; false when the lease was lost. */
  savePollerOffset(channelId: string, holder: string, offset: string): Promise<boolean>;
  releasePoller(channelId: string, holder: string): Promise<void>;
}
