import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../core/logger.ts';
import { type ChatMessage, type CreateTaskBody, isTerminalTaskStatus, LIMITS } from '../../protocol/index.ts';
import type { ChannelRecord, ConversationRecord, GatewayStore } from '../store/index.ts';
import type { TaskRouter } from '../tasks/task-router.ts';
import type { TaskPlacement } from '../tasks/task-routes.ts';
import { approvalRef, parseApprovalCommand } from './approval-ref.ts';
import type {
  ChannelContext,
  InboundApproval,
  InboundEvent,
  InboundMessage,
  ReplyTarget,
} from './channel-adapter.ts';
import { adapterFor } from './channel-adapters.ts';
import { pairingCodeHash } from './channel-service.ts';
import type { DeliveryWorker } from './delivery-worker.ts';
import { describeFiles } from './inbound-files.ts';

/** How long a message waits for another message of its chat to be handled first. */
const CONVERSATION_WAIT_MS = 15_000;
const CONVERSATION_LEASE_MS = 60_000;
/** The conversation handed to a new task: its last messages only. */
const MAX_PRIOR_MESSAGES = 50;

export interface ChannelInboundDeps {
  store: GatewayStore;
  router: TaskRouter;
  placement: TaskPlacement;
  deliveries: DeliveryWorker;
  /** This gateway among several (the holder of conversation leases). */
  holder: string;
  /** `<public url>/tasks/<id>`: the board's page of a task. */
  taskLink: (taskId: string) => string;
  log: Logger;
}

/**
 * What an inbound event does (docs/channels.md, "Conversations" and "Pairing"): an allowed
 * sender's message starts the chat's task, or continues it (a follow-up while it runs, a new task
 * carrying the conversation once it ended); an unknown sender is sent a pairing code and waits for
 * an operator; a blocked one is ignored; Approve/Deny (a button, or `/approve <ref>`) answers the
 * task's waiting approval. The caller has recorded the event id once (the store's dedupe).
 */
export class ChannelInbound {
  readonly #deps: ChannelInboundDeps;

  constructor(deps: ChannelInboundDeps) {
    this.#deps = deps;
  }

  async handle(channel: ChannelRecord, context: ChannelContext, event: InboundEvent): Promise<void> {
    const fields = { channelId: channel.id, eventId: event.eventId, senderId: event.senderId };
    const allowed = await this.#admit(channel, context, event);
    if (!allowed) return;
    try {
      if (event.kind === 'approval') await this.#answer(channel, context, event);
      else {
        const command = parseApprovalCommand(event.text);
        if (command) {
          await this.#answer(
            channel,
            context,
            {
              ...event,
              kind: 'approval',
              taskId: null,
              approvalRef: command.ref,
              approved: command.approved,
            },
            command.reason,
          );
        } else await this.#converse(channel, context, event);
      }
    } catch (error) {
      this.#deps.log.warn({ ...fields, err: error }, 'channel event not handled');
      await this.#reply(channel, event, `Sorry, that did not work: ${(error as Error).message}`);
    }
  }

  /** True for an allowed sender; a new or pending one is sent a (new) pairing code, a blocked one nothing. */
  async #admit(channel: ChannelRecord, context: ChannelContext, event: InboundEvent): Promise<boolean> {
    const { store, log } = this.#deps;
    const known = await store.getSender(channel.id, event.senderId);
    if (known?.status === 'allowed') return true;
    if (known?.status === 'blocked') {
      log.info({ channelId: channel.id, senderId: event.senderId }, 'message from a blocked sender ignored');
      return false;
    }
    if (event.kind === 'approval') {
      await this.#tellPresser(context, event, 'Only paired people may answer approvals.', false);
      return false;
    }
    const code = newPairingCode();
    const at = new Date().toISOString();
    const { inserted } = await store.insertSender({
      channelId: channel.id,
      senderId: event.senderId,
      displayName: event.senderName,
      status: 'pending',
      codeHash: pairingCodeHash(code),
      createdAt: at,
      updatedAt: at,
    });
    if (!inserted) {
      const current = await store.updateSender(channel.id, event.senderId, {
        codeHash: pairingCodeHash(code),
        updatedAt: at,
      });
      if (current?.status === 'allowed') return true;
      if (current?.status === 'blocked') return false;
    }
    log.info(
      { channelId: channel.id, senderId: event.senderId },
      'unknown channel sender: pairing code sent',
    );
    await this.#reply(
      channel,
      event,
      `You are not paired with this OpenViber gateway yet. Your pairing code is ${code}.\n` +
        `Ask an operator to approve it: viber channels approve ${code} (or on the board's Channels page), then write again.`,
    );
    return false;
  }

  async #converse(channel: ChannelRecord, context: ChannelContext, event: InboundMessage): Promise<void> {
    const { store, router, holder } = this.#deps;
    const conversation = await this.#claim(channel.id, event.conversationKey, event.replyTarget);
    const release = () => store.releaseConversation(channel.id, event.conversationKey, holder);
    try {
      const text = await this.#messageText(context, event);
      const current = conversation.taskId ? await store.getTask(conversation.taskId) : null;
      if (current && !isTerminalTaskStatus(current.status)) {
        await router.sendMessage(current.id, { message: text, injectionMode: 'followup' });
        await store.saveConversation({ ...conversation, target: event.replyTarget }, holder);
        return;
      }
      const messages = current ? await this.#transcript(conversation, current.id) : conversation.messages;
      const body: CreateTaskBody = {
        goal: text,
        ...(messages.length > 0 ? { messages: messages.slice(-MAX_PRIOR_MESSAGES) } : {}),
        ...(channel.viberId ? { viberId: channel.viberId } : {}),
        options: {
          ...(channel.mode ? { mode: channel.mode } : {}),
          ...(channel.environmentId ? { environmentId: channel.environmentId } : {}),
        },
      };
      const task = await router.createTask(await this.#deps.placement.place(body));
      const at = new Date().toISOString();
      await store.followTask({
        taskId: task.id,
        channelId: channel.id,
        conversationKey: event.conversationKey,
        createdAt: at,
        finishedAt: null,
      });
      await store.saveConversation(
        { ...conversation, target: event.replyTarget, taskId: task.id, messages, updatedAt: at },
        holder,
      );
      this.#deps.log.info(
        { channelId: channel.id, conversationKey: event.conversationKey, taskId: task.id },
        'channel message started a task',
      );
    } finally {
      await release();
    }
  }

  /** The conversation so far, with the ended task's goal, follow-ups and answer added. */
  async #transcript(conversation: ConversationRecord, taskId: string): Promise<ChatMessage[]> {
    const { store } = this.#deps;
    const task = await store.getTask(taskId);
    if (!task) return conversation.messages;
    const followUps = await store.listTaskMessages(taskId);
    const clip = (text: string) => text.slice(0, LIMITS.maxMessageChars);
    return [
      ...conversation.messages,
      { role: 'user', content: clip(task.goal) },
      ...followUps.map((message): ChatMessage => ({ role: 'user', content: clip(message.message) })),
      ...(task.result?.text ? [{ role: 'assistant' as const, content: clip(task.result.text) }] : []),
    ];
  }

  async #messageText(context: ChannelContext, event: InboundMessage): Promise<string> {
    const adapter = adapterFor(context.kind);
    const files =
      event.files.length > 0 && adapter?.fetchFile ? await describeFiles(adapter, context, event.files) : '';
    const text = [event.text.trim(), files].filter(Boolean).join('\n\n');
    return text.slice(0, LIMITS.maxMessageChars) || '(an empty message)';
  }

  /** Waits its turn on the conversation: one message of a chat at a time, across gateways. */
  async #claim(channelId: string, key: string, target: ReplyTarget): Promise<ConversationRecord> {
    const { store, holder } = this.#deps;
    const deadline = Date.now() + CONVERSATION_WAIT_MS;
    for (let wait = 20; ; wait = Math.min(wait * 2, 500)) {
      const now = new Date();
      const lease = new Date(now.getTime() + CONVERSATION_LEASE_MS).toISOString();
      const claimed = await store.claimConversation(channelId, key, target, holder, now.toISOString(), lease);
      if (claimed) return claimed;
      if (Date.now() > deadline)
        throw new Error('another message of this chat is still being handled; send it again');
      await sleep(wait);
    }
  }

  /** Approve or Deny: the approval, by its short ref, among the waiting ones of the chat's tasks. */
  async #answer(
    channel: ChannelRecord,
    context: ChannelContext,
    event: InboundApproval,
    reason?: string,
  ): Promise<void> {
    const { store, router } = this.#deps;
    const candidates = new Set<string>();
    if (event.taskId) {
      // Only a task whose answers go to this channel: a button cannot name any task of the gateway.
      const follow = await store.getFollow(event.taskId);
      if (follow?.channelId === channel.id) candidates.add(event.taskId);
    } else {
      const conversation = await store.getConversation(channel.id, event.conversationKey);
      if (conversation?.taskId) candidates.add(conversation.taskId);
      for (const follow of await store.listOpenFollows()) {
        if (follow.channelId === channel.id && follow.conversationKey === event.conversationKey)
          candidates.add(follow.taskId);
      }
    }
    for (const taskId of candidates) {
      const waiting = await router.waitingApprovals(taskId).catch(() => []);
      const found = waiting.find(
        (approval) => approvalRef(taskId, approval.approvalId) === event.approvalRef,
      );
      if (!found) continue;
      await router.sendApproval(taskId, found.approvalId, {
        approved: event.approved,
        reason:
          reason ??
          `${event.approved ? 'approved' : 'denied'} by ${event.senderName} in channel ${channel.name}`,
      });
      const note = `${event.approved ? 'Approved' : 'Denied'} ${found.toolName ?? 'the tool call'} (${event.approvalRef}).`;
      this.#deps.log.info(
        { channelId: channel.id, taskId, approvalId: found.approvalId, approved: event.approved },
        'approval answered from a channel',
      );
      if (!(await this.#tellPresser(context, event, note, true))) await this.#reply(channel, event, note);
      return;
    }
    const note = `No approval ${event.approvalRef} is waiting in this chat (answered already, or the task ended).`;
    if (!(await this.#tellPresser(context, event, note, false))) await this.#reply(channel, event, note);
  }

  /**
   * Answers a button press on the platform (and, once `decided`, shows the decision on the prompt
   * instead of its buttons); false when the presser was not told (a typed /approve, a platform
   * that has no notice): the caller sends the note to the chat.
   */
  async #tellPresser(
    context: ChannelContext,
    event: InboundApproval,
    note: string,
    decided: boolean,
  ): Promise<boolean> {
    const adapter = adapterFor(context.kind);
    if (!event.press || !adapter?.answerPress) return false;
    try {
      return await adapter.answerPress(context, event.press, { note, decided, by: event.senderName });
    } catch (error) {
      this.#deps.log.warn(
        { channelId: context.id, eventId: event.eventId, error: (error as Error).message },
        'button press not answered on the platform',
      );
      return false;
    }
  }

  async #reply(channel: ChannelRecord, event: InboundEvent, text: string): Promise<void> {
    await this.#deps.deliveries.enqueue(channel.id, `reply:${event.eventId}`, event.replyTarget, {
      kind: 'text',
      text,
    });
  }
}

/** Eight characters a person can read out (no 0/O, 1/I), shown as XXXX-XXXX. */
function newPairingCode(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
  const characters = Array.from({ length: 8 }, () => alphabet[randomInt(alphabet.length)]);
  return `${characters.slice(0, 4).join('')}-${characters.slice(4).join('')}`;
}
