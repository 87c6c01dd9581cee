import { Chat } from '@ai-sdk/svelte';
import type { UIMessage, UIMessageChunk } from 'ai';
import type { TaskDetail } from '../task-detail.svelte.ts';
import { appliedBetween } from './applied-messages.ts';
import { type StreamState, TaskStreamSource } from './task-stream.ts';
import { TaskChatTransport } from './task-transport.ts';

export interface UserMessageMetadata {
  injectionMode?: 'collect' | 'steer' | 'followup';
}

/**
 * One task's conversation: the goal, then each run of the task stream as an assistant message
 * rendered by the AI SDK's Chat, with the operator's follow-ups placed before the run that took
 * them in (from the task's `message-applied` events). Nothing is kept in the browser: a reload
 * rebuilds the same conversation from the gateway's log.
 */
export class TaskConversation {
  readonly chat: Chat<UIMessage<UserMessageMetadata>>;
  streamState = $state<StreamState>('connecting');
  streamDetail = $state('');
  readonly #detail: TaskDetail;
  readonly #source: TaskStreamSource;
  #pending: ReadableStream<UIMessageChunk> | null = null;
  #previousRunStart = 0;
  #stopped = false;

  constructor(detail: TaskDetail, goal: string) {
    const taskId = detail.id;
    this.#detail = detail;
    this.chat = new Chat<UIMessage<UserMessageMetadata>>({
      id: taskId,
      messages: [{ id: `goal-${taskId}`, role: 'user', parts: [{ type: 'text', text: goal }] }],
      transport: new TaskChatTransport(() => {
        const stream = this.#pending;
        this.#pending = null;
        return stream;
      }),
    });
    this.#source = new TaskStreamSource(taskId, (state, detail) => {
      this.streamState = state;
      this.streamDetail = detail ?? '';
    });
  }

  start(): void {
    this.#source.start();
    void this.#drive();
  }

  stop(): void {
    this.#stopped = true;
    this.#source.stop();
  }

  async #drive(): Promise<void> {
    for (;;) {
      const run = await this.#source.nextRun();
      if (!run || this.#stopped) return;
      if (run.index > 0) await this.#addFollowUps(run.startSeq);
      this.#previousRunStart = run.startSeq;
      this.#pending = run.stream;
      await this.chat.resumeStream();
    }
  }

  /**
   * Puts the operator's messages the agent applied before this run in front of it. The detail the
   * page read already covers every run that had started by then; only a later run reads it again.
   */
  async #addFollowUps(runStartSeq: number): Promise<void> {
    const detail = await this.#detail.covering(runStartSeq);
    // Unreadable now: the run still renders; only the operator's bubble is missing until a reload.
    if (!detail) return;
    const texts = new Map(detail.messages.map((message) => [message.id, message]));
    const added: UIMessage<UserMessageMetadata>[] = [];
    for (const id of appliedBetween(detail, this.#previousRunStart, runStartSeq)) {
      const message = texts.get(id);
      if (!message) continue;
      added.push({
        id,
        role: 'user',
        metadata: { injectionMode: message.injectionMode },
        parts: [{ type: 'text', text: message.message }],
      });
    }
    if (added.length > 0) this.chat.messages = [...this.chat.messages, ...added];
  }
}
