import type { ChannelConfig, ChannelKind } from '../../protocol/index.ts';

/**
 * What the gateway needs of one chat platform (docs/channels.md, "Adding a platform"). An adapter
 * is stateless: it turns the platform's HTTP into the channel service's terms and back, and the
 * service keeps everything durable (senders, conversations, dedupe, the delivery queue, leases).
 * One adapter per kind, registered in channel-adapters.ts.
 *
 * The service calls it like this:
 * - inbound over HTTP: `POST /channels/:id/webhook` hands the raw request to `receive`, which
 *   verifies it (signature, secret token, timestamp window) and returns the events it carries and
 *   the HTTP answer; the service records each event (its `eventId` once, with the event itself)
 *   in the store, answers the platform at once, then acts on it (channel-inbound-queue.ts). An
 *   event is JSON: it waits in the store until a gateway has acted on it.
 * - inbound by polling (optional): one gateway at a time (a lease in the store) calls `poll` with
 *   the stored offset and stores the offset it returns after the events are recorded.
 * - outbound: the delivery worker calls `send` once per part of a message (texts longer than
 *   `maxTextLength` are split first, see split-text.ts); a thrown ChannelSendError says whether
 *   to retry (and when) or give up.
 */

/** The channel as an adapter sees it: its settings and its secrets, opened for this call only. */
export interface ChannelContext {
  id: string;
  kind: ChannelKind;
  config: ChannelConfig;
  /** Opened secrets by name; never logged, never in an error message. */
  secrets: Readonly<Record<string, string>>;
  /** `fetch`, replaceable by tests that count calls (the platform itself is a real test server). */
  fetch: typeof fetch;
  /**
   * Seals a value that must not be stored in the clear but is not a setting (Discord's interaction
   * token in a reply target): bound to the channel and `name`, under the gateway's master key.
   */
  seal(name: string, value: string): string;
  /** Opens what `seal` sealed; undefined when it does not open (another master key, tampered). */
  open(name: string, sealed: string): string | undefined;
}

/**
 * Where an answer goes: opaque to the service, made by the adapter from an inbound event and handed
 * back to `send`. Must be JSON (it is stored in the delivery queue). Telegram: `{chatId, threadId?,
 * replyTo?}`; Slack would carry `{channel, threadTs}`.
 */
export type ReplyTarget = Record<string, unknown>;

/** A file that came with a message, fetched by `fetchFile` when the service wants its bytes. */
export interface InboundFile {
  /** The platform's reference to the file (a Telegram file_id, a URL). */
  ref: string;
  name: string;
  mediaType: string;
  /** Bytes, when the platform said; files over the service's limit are not fetched. */
  size?: number;
}

interface InboundCommon {
  /** Unique per channel and stable across retries of the platform: the dedupe key. */
  eventId: string;
  /** The platform's id of the person, and a name to show the operator. */
  senderId: string;
  senderName: string;
  /** One conversation per chat, or per thread of a chat: `<chat>` or `<chat>:<thread>`. */
  conversationKey: string;
  replyTarget: ReplyTarget;
}

/** Someone wrote: text (maybe empty when only files came) and files. */
export interface InboundMessage extends InboundCommon {
  kind: 'message';
  text: string;
  files: InboundFile[];
}

/** Someone pressed Approve or Deny on an approval prompt. */
export interface InboundApproval extends InboundCommon {
  kind: 'approval';
  /** The task the prompt was about, when the button said (null: the conversation's tasks). */
  taskId: string | null;
  /** The approval's short reference (approval-ref.ts), as the prompt carried it. */
  approvalRef: string;
  approved: boolean;
  /**
   * What the adapter needs to answer the press itself and to change the prompt once it is decided
   * (`answerPress`): JSON, made by the adapter (Telegram: the callback query and the message).
   */
  press?: Record<string, unknown>;
}

export type InboundEvent = InboundMessage | InboundApproval;

/** The answer to give the platform's request. */
export interface WebhookResponse {
  status: number;
  body: Record<string, unknown>;
}

export interface ReceiveResult {
  /** Empty when the request was refused (then `response` says why) or carried nothing for us. */
  events: InboundEvent[];
  response: WebhookResponse;
}

/** A message to send; `text` is plain text (no platform markup), at most `maxTextLength` long. */
export type OutboundMessage =
  | { kind: 'text'; text: string }
  /** A prompt with Approve and Deny buttons; an adapter without buttons sends text naming `/approve`. */
  | { kind: 'approval'; text: string; taskId: string; approvalRef: string }
  /** A file (an image goes as a photo where the platform shows one). */
  | { kind: 'file'; name: string; mediaType: string; base64: string; caption?: string };

export interface PollResult {
  events: InboundEvent[];
  /** The offset to store once the events are recorded; the next poll starts there. */
  offset: string | null;
}

export interface ChannelAdapter {
  readonly kind: ChannelKind;
  /** The platform's limit on one text message, in characters (Telegram 4096). */
  readonly maxTextLength: number;
  /**
   * True: an event id seen before answers 409 `replayed` (a signed webhook whose sender must hear
   * of it). False or absent: it answers 200 and does nothing (a platform that redelivers until it
   * gets a 200, as Telegram does).
   */
  readonly refusesReplays?: boolean;
  /** The secrets a channel of this kind must have, by name (`botToken`); checked on create. */
  readonly requiredSecrets: readonly string[];
  /**
   * Checks settings and secrets before they are stored: returns a problem (naming the field), or
   * null. Called with the secrets' names only (values are not needed to check presence).
   */
  checkConfig(config: ChannelConfig, secretNames: readonly string[]): string | null;
  /** Verifies and reads a webhook request. `rawBody` is the exact bytes signed. Never throws for bad input. */
  receive(context: ChannelContext, request: { headers: Headers; rawBody: string }): Promise<ReceiveResult>;
  /**
   * Long polling, for platforms that offer it (Telegram getUpdates when `receive` is `polling`):
   * returns when updates arrive or `signal` aborts. Absent, or `pollingEnabled` false: webhook only.
   */
  poll?(context: ChannelContext, offset: string | null, signal: AbortSignal): Promise<PollResult>;
  pollingEnabled?(config: ChannelConfig): boolean;
  /**
   * Tells the platform where to post updates, when it is told by API (Telegram setWebhook) and the
   * channel is in webhook mode; called when a channel is created or changed. Optional.
   */
  register?(context: ChannelContext, webhookUrl: string): Promise<void>;
  /**
   * Sends one message; throws ChannelSendError (retryable or not) when the platform refused it.
   * `deliveryKey` is stable across retries of this part (`<delivery id>:<part>`): a platform that
   * takes an idempotency key or event id gets it, so a retry after a lost answer is not shown twice.
   */
  send(
    context: ChannelContext,
    target: ReplyTarget,
    message: OutboundMessage,
    deliveryKey: string,
  ): Promise<void>;
  /**
   * Answers a button press: tells the presser `note` (Telegram's notice, Discord's ephemeral
   * follow-up) and, when `decided`, changes the prompt to show the decision without its buttons.
   * Returns true when the presser was told; false: the service sends `note` to the chat instead.
   */
  answerPress?(
    context: ChannelContext,
    press: Record<string, unknown>,
    outcome: { note: string; decided: boolean; by: string },
  ): Promise<boolean>;
  /**
   * The answer to a webhook request from a sender who is blocked, when the platform shows one
   * (Discord: an ephemeral "not allowed" instead of "thinking..."); absent: the usual answer.
   */
  refusedSenderResponse?(event: InboundEvent): WebhookResponse;
  /**
   * The reply target of a conversation nobody wrote in yet (a scheduled job's answer to a chat),
   * from its key as the adapter makes keys (`<chat>`, `<chat>:<thread>`); undefined when the key
   * is not one of this platform's.
   */
  targetFor?(conversationKey: string): ReplyTarget | undefined;
  /** Downloads a file of an inbound message. */
  fetchFile?(context: ChannelContext, file: InboundFile, maxBytes: number): Promise<Buffer>;
  /** Asks the platform whether the credentials work; a short description (the bot's name). */
  test(context: ChannelContext): Promise<string>;
}
