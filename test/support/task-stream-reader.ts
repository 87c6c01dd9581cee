import {
  parseJsonEventStream,
  readUIMessageStream,
  type UIMessage,
  type UIMessageChunk,
  uiMessageChunkSchema,
} from 'ai';
import {
  createGatewayClient,
  type GatewayClient,
  GatewayClientError,
  readSse,
  type SseMessage,
} from '../../src/client/index.ts';

/**
 * Reads `GET /api/tasks/:id/stream` the way an AI SDK client does (`parseJsonEventStream` with
 * `uiMessageChunkSchema`, then `readUIMessageStream`), across as many connections as the test
 * makes: a reconnect sends `Last-Event-ID` and its chunks continue the same message. Beside the
 * SDK's parse it records each event's `id:` (read by the client's `readSse`) so tests can check
 * the seqs. Unlike the client's `followTaskStream`, it never reconnects or skips on its own: the
 * tests decide when a connection ends and see every byte the gateway sent again.
 */

/** Longer than any test: silence is for the test to judge, not the reader. */
const NEVER_IDLE_MS = 10 * 60_000;

export interface ConnectionResult {
  status: number;
  headers: Headers;
  /** `ended`: the server closed the stream; `aborted`: the test disconnected; `failed`: the connection broke. */
  outcome: 'ended' | 'aborted' | 'failed' | 'rejected';
  /** The Last-Event-ID this connection sent. */
  lastEventId?: string;
  /** Why a non-200 answer was refused, in the gateway's words. */
  text?: string;
  error?: unknown;
}

interface OpenConnection {
  abort: AbortController;
  settled: Promise<ConnectionResult>;
}

export interface TaskStreamTarget {
  baseUrl: string;
  token: string;
  taskId: string;
}

export class TaskStreamReader {
  /** Every data event except `[DONE]`, over all connections, in order: events[i] carries chunks[i]. */
  readonly events: SseMessage[] = [];
  readonly chunks: UIMessageChunk[] = [];
  /** Lines the AI SDK could not parse as UI message chunks (should stay empty). */
  readonly parseErrors: unknown[] = [];
  /** Errors `readUIMessageStream` reported while reassembling (e.g. a delta for an unknown part). */
  readonly messageErrors: unknown[] = [];
  readonly connections: ConnectionResult[] = [];
  sawDone = false;
  /** The latest state of the assistant message being reassembled (the last one of `messages`). */
  message: UIMessage | undefined;
  /**
   * Every assistant message of the stream, in order: each run of a task (the first, then one per
   * follow-up turn) starts a new message id, and the SDK starts a new message for it.
   */
  readonly messages: UIMessage[] = [];
  /** Settles with the final message once a connection has ended cleanly (the task ended). */
  readonly finished: Promise<UIMessage | undefined>;

  private readonly target: TaskStreamTarget;
  private readonly client: GatewayClient;
  private readonly chunkStream: ReadableStream<UIMessageChunk>;
  private controller!: ReadableStreamDefaultController<UIMessageChunk>;
  private current: OpenConnection | undefined;
  private lastSettled: Promise<ConnectionResult> | undefined;
  private closed = false;

  constructor(target: TaskStreamTarget) {
    this.target = target;
    this.client = createGatewayClient({ baseUrl: target.baseUrl, token: target.token });
    this.chunkStream = new ReadableStream<UIMessageChunk>({
      start: (controller) => {
        this.controller = controller;
      },
    });
    this.finished = this.reassemble();
  }

  /** The id of the last event received, as a reconnecting client sends it. */
  get lastEventId(): string | undefined {
    return this.events.findLast((event) => event.id !== undefined)?.id;
  }

  /** Seqs of the events received, as numbers. */
  get seqs(): number[] {
    return this.events.map((event) => Number(event.id));
  }

  /** Opens a connection (resolving once its headers arrived), sending `lastEventId` when given. */
  async connect(lastEventId?: string): Promise<ConnectionResult | undefined> {
    if (this.current) throw new Error('already connected: disconnect first');
    const abort = new AbortController();
    let response: Response;
    try {
      response = await this.client.open('tasks.stream', {
        params: { id: this.target.taskId },
        ...(lastEventId !== undefined ? { headers: { 'last-event-id': lastEventId } } : {}),
        signal: abort.signal,
      });
    } catch (error) {
      // An answer other than an event stream is a rejection; no answer at all is a failure.
      const answered = GatewayClientError.isInstance(error) && error.status > 0;
      const result: ConnectionResult = {
        status: answered ? error.status : 0,
        headers: new Headers(),
        outcome: answered ? 'rejected' : 'failed',
        lastEventId,
        ...(answered ? { text: error.message } : { error }),
      };
      this.connections.push(result);
      return result;
    }
    const settled = this.consume(response, abort, lastEventId);
    this.current = { abort, settled };
    this.lastSettled = settled;
    settled.then(() => {
      if (this.current?.abort === abort) this.current = undefined;
    });
    return undefined;
  }

  /** Reconnects where the last connection stopped (`Last-Event-ID`). */
  reconnect(): Promise<ConnectionResult | undefined> {
    return this.connect(this.lastEventId);
  }

  /** Closes the current connection, as a client that goes away does. */
  async disconnect(): Promise<ConnectionResult | undefined> {
    const current = this.current;
    if (!current) return undefined;
    current.abort.abort();
    return current.settled;
  }

  /** Settles when the latest connection ends, however it ends. */
  async connectionEnded(): Promise<ConnectionResult | undefined> {
    return this.lastSettled;
  }

  private async consume(
    response: Response,
    abort: AbortController,
    lastEventId?: string,
  ): Promise<ConnectionResult> {
    const body = response.body as ReadableStream<Uint8Array>;
    const [forSdk, forIds] = body.tee();
    const sdk = (async () => {
      const reader = parseJsonEventStream({ stream: forSdk, schema: uiMessageChunkSchema }).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        if (!value.success) {
          this.parseErrors.push(value.error);
          continue;
        }
        this.chunks.push(value.value);
        if (!this.closed) this.controller.enqueue(value.value);
      }
    })();
    const ids = (async () => {
      const events = readSse(new Response(forIds), { route: 'tasks.stream', idleMs: () => NEVER_IDLE_MS });
      for await (const event of events) {
        if (event.data === '[DONE]') this.sawDone = true;
        else this.events.push(event);
      }
    })();
    const [sdkResult, idsResult] = await Promise.allSettled([sdk, ids]);
    const error =
      sdkResult.status === 'rejected'
        ? sdkResult.reason
        : idsResult.status === 'rejected'
          ? idsResult.reason
          : undefined;
    const outcome = abort.signal.aborted ? 'aborted' : error ? 'failed' : 'ended';
    const result: ConnectionResult = {
      status: response.status,
      headers: response.headers,
      outcome,
      lastEventId,
      error,
    };
    this.connections.push(result);
    if (outcome === 'ended') this.close();
    return result;
  }

  /** Ends the reassembly: no more chunks will come. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.controller.close();
  }

  private async reassemble(): Promise<UIMessage | undefined> {
    for await (const message of readUIMessageStream<UIMessage>({
      stream: this.chunkStream,
      terminateOnError: false,
      onError: (error) => this.messageErrors.push(error),
    })) {
      if (this.messages.at(-1)?.id === message.id) this.messages[this.messages.length - 1] = message;
      else this.messages.push(message);
      this.message = message;
    }
    return this.message;
  }
}

/** Connects a reader to a task's stream. */
export async function openTaskStreamReader(
  target: TaskStreamTarget,
  lastEventId?: string,
): Promise<TaskStreamReader> {
  const reader = new TaskStreamReader(target);
  const rejected = await reader.connect(lastEventId);
  if (rejected) {
    throw new Error(
      `stream of ${target.taskId}: ${rejected.status} ${rejected.text ?? String(rejected.error)}`,
    );
  }
  return reader;
}
