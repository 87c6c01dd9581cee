import type { ChatTransport, UIMessage, UIMessageChunk } from 'ai';

/**
 * The AI SDK Chat's transport over a task: the conversation is driven by the gateway, so the
 * Chat only ever resumes (`reconnectToStream` hands it the next run of the task stream). The
 * operator's messages go through the REST API (follow-ups with an injection mode), never through
 * `sendMessages`.
 */
export class TaskChatTransport implements ChatTransport<UIMessage> {
  readonly #take: () => ReadableStream<UIMessageChunk> | null;

  constructor(take: () => ReadableStream<UIMessageChunk> | null) {
    this.#take = take;
  }

  async sendMessages(): Promise<ReadableStream<UIMessageChunk>> {
    throw new Error('messages to a task go through POST /api/tasks/:id/messages');
  }

  async reconnectToStream(): Promise<ReadableStream<UIMessageChunk> | null> {
    return this.#take();
  }
}
