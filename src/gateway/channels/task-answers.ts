import { OpenViberError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import { isTerminalTaskStatus } from '../../protocol/index.ts';
import { CHANGES } from '../bus/gateway-topics.ts';
import type { TopicBus } from '../bus/topic-bus.ts';
import type { ChannelFollowRecord, GatewayStore, TaskRecord } from '../store/index.ts';
import type { TaskRouter } from '../tasks/task-router.ts';
import { approvalRef } from './approval-ref.ts';
import { adapterFor } from './channel-adapters.ts';
import type { DeliveryWorker } from './delivery-worker.ts';
import { screenshotNames } from './task-screenshots.ts';

/** How often open follows are looked at again, for changes a gateway missed (it was down, the bus was cut). */
const SWEEP_MS = 30_000;
const MAX_INPUT_CHARS = 600;

export interface TaskAnswersDeps {
  store: GatewayStore;
  bus: TopicBus;
  router: TaskRouter;
  deliveries: DeliveryWorker;
  /** This gateway among several (the holder of a conversation it creates for followTask). */
  holder: string;
  taskLink: (taskId: string) => string;
  log: Logger;
}

/**
 * Sends a followed task's news to its chat (docs/channels.md, "Answers"): its final answer (or its
 * error) with the board link when it ends, and an Approve/Deny prompt for each tool call it waits
 * on. Every gateway hears every task change; each queues the same message under the same dedupe
 * key (`answer:<task>`, `approval:<task>:<approval>`), so the store keeps exactly one.
 */
export class TaskAnswers {
  readonly #deps: TaskAnswersDeps;
  #unsubscribe: (() => void) | undefined;
  #sweep: NodeJS.Timeout | undefined;

  constructor(deps: TaskAnswersDeps) {
    this.#deps = deps;
  }

  start(): void {
    this.#unsubscribe = this.#deps.bus.subscribe(CHANGES, (change) => {
      if (change.type === 'bus.resynced') {
        this.#sweepNow();
        return;
      }
      if (change.type !== 'task.changed') return;
      const { task, cause } = change;
      const ended = isTerminalTaskStatus(task.status) && !isTerminalTaskStatus(change.previousStatus);
      const asks = cause?.type === 'task:progress' && cause.payload.includes('"awaiting-approval"');
      if (ended || asks) this.#run(() => this.#onTask(task), task.id);
    });
    this.#sweepNow();
    this.#sweep = setInterval(() => this.#sweepNow(), SWEEP_MS);
    this.#sweep.unref?.();
  }

  stop(): void {
    this.#unsubscribe?.();
    clearInterval(this.#sweep);
  }

  /**
   * Sends the task's answer (and its approval prompts) to a chat of a channel: scheduled jobs use
   * it for their runs. `target` is the adapter's reply target (Telegram `{chatId, threadId?}`);
   * without it, the chat's last reply target, else one made from the conversation key by the
   * adapter (a chat nobody wrote in yet). The conversation's own task stays as it was.
   */
  async followTask(
    taskId: string,
    where: { channelId: string; conversationKey: string; target?: Record<string, unknown> },
  ): Promise<void> {
    const { store, holder } = this.#deps;
    const { channelId, conversationKey } = where;
    const channel = await store.getChannel(channelId);
    if (!channel) throw new OpenViberError('not_found', `channel ${channelId} not found`, 404);
    // A chat nobody wrote in yet: its target from the key, as the platform's adapter makes keys.
    const target = where.target ?? adapterFor(channel.kind)?.targetFor?.(conversationKey);
    if (target && !(await store.getConversation(channelId, conversationKey))) {
      const now = new Date();
      const claimed = await store.claimConversation(
        channelId,
        conversationKey,
        target,
        holder,
        now.toISOString(),
        new Date(now.getTime() + 10_000).toISOString(),
      );
      if (claimed) await store.releaseConversation(channelId, conversationKey, holder);
    }
    await store.followTask({
      taskId,
      channelId,
      conversationKey,
      createdAt: new Date().toISOString(),
      finishedAt: null,
    });
    const task = await this.#deps.store.getTask(taskId);
    if (task) await this.#onTask(task);
  }

  #sweepNow(): void {
    this.#run(async () => {
      for (const follow of await this.#deps.store.listOpenFollows()) {
        const task = await this.#deps.store.getTask(follow.taskId);
        // A prompt queued before is not queued again (its dedupe key): the sweep only fills gaps.
        if (task) await this.#onTask(task);
      }
    });
  }

  async #onTask(task: TaskRecord): Promise<void> {
    const follow = await this.#deps.store.getFollow(task.id);
    if (!follow || follow.finishedAt) return;
    if (isTerminalTaskStatus(task.status)) await this.#answer(follow, task);
    else await this.#promptApprovals(follow, task);
  }

  async #answer(follow: ChannelFollowRecord, task: TaskRecord): Promise<void> {
    const link = this.#deps.taskLink(task.id);
    const text =
      task.status === 'completed'
        ? `${task.result?.text?.trim() || '(the task finished without a text answer)'}\n\n${link}`
        : task.status === 'error'
          ? `The task failed: ${task.error ?? 'no reason given'}\n\n${link}`
          : `The task was stopped${task.error ? `: ${task.error}` : ''}.\n\n${link}`;
    const target = await this.#target(follow);
    if (!target) return;
    await this.#deps.deliveries.enqueue(follow.channelId, `answer:${task.id}`, target, {
      kind: 'text',
      text,
    });
    // Its screenshots (the visual evidence the board shows) follow as photos, each queued once.
    for (const name of await screenshotNames(this.#deps.store, task.id)) {
      await this.#deps.deliveries.enqueue(follow.channelId, `answer:${task.id}:screenshot:${name}`, target, {
        kind: 'screenshot',
        taskId: task.id,
        name,
      });
    }
    await this.#deps.store.finishFollow(task.id, new Date().toISOString());
  }

  async #promptApprovals(follow: ChannelFollowRecord, task: TaskRecord): Promise<void> {
    const waiting = await this.#deps.router.waitingApprovals(task.id);
    const target = await this.#target(follow);
    if (!target) return;
    for (const approval of waiting) {
      const ref = approvalRef(task.id, approval.approvalId);
      const input = JSON.stringify(approval.input ?? {});
      const shown = input.length > MAX_INPUT_CHARS ? `${input.slice(0, MAX_INPUT_CHARS)}…` : input;
      const text =
        `The task wants to run ${approval.toolName ?? 'a tool'} ${shown}\n` +
        `Approve or deny (or reply /approve ${ref} or /deny ${ref}).\n${this.#deps.taskLink(task.id)}`;
      await this.#deps.deliveries.enqueue(
        follow.channelId,
        `approval:${task.id}:${approval.approvalId}`,
        target,
        {
          kind: 'approval',
          text,
          taskId: task.id,
          approvalRef: ref,
        },
      );
    }
  }

  /** Where the chat's answers go: the conversation's latest reply target. */
  async #target(follow: ChannelFollowRecord): Promise<Record<string, unknown> | null> {
    const conversation = await this.#deps.store.getConversation(follow.channelId, follow.conversationKey);
    return conversation?.target ?? null;
  }

  #run(work: () => Promise<void>, taskId?: string): void {
    work().catch((error: unknown) =>
      this.#deps.log.error({ err: error, taskId }, 'channel answer not queued'),
    );
  }
}
