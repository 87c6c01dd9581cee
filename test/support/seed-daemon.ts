import WebSocket from 'ws';
import { waitFor } from './wait.ts';

/**
 * A daemon written from the protocol document alone (section 3, "Gateway <-> Viber Runtime (Daemon)
 * WebSocket Protocol"), to prove the gateway accepts one: plain `ws`, the document's upgrade
 * headers (`Authorization: Bearer`, `X-Viber-Id`, `X-Viber-Version`), `connected` with a ViberInfo,
 * task events without `seq`, `task:stream-chunk` carrying raw AI SDK SSE text, no acknowledgements
 * of any kind, `pong` for `ping`, a periodic `heartbeat`. It imports nothing of OpenViber: every
 * frame it sends is written out here, and every frame it gets is kept as parsed JSON.
 */

/** A frame as JSON: the document's shapes, or anything a test wants to send. */
export type SeedFrame = { type: string } & Record<string, unknown>;

export interface SeedDaemonOptions {
  viberId: string;
  token: string;
  name?: string;
  /** Tasks it says it is still running in `connected`. */
  runningTasks?: string[];
  /** Heartbeat interval; default 30 s (the document's). */
  heartbeatMs?: number;
  /** Fields a newer daemon would add, merged into every frame it sends (they must be ignored). */
  extraFields?: Record<string, unknown>;
  /**
   * What to do with a `task:submit`; by default it answers at once with `seedReply`. Return
   * nothing to leave the task to the test.
   */
  onSubmit?: (daemon: SeedDaemon, submit: SeedFrame) => void;
}

/** The final text of the scripted reply. */
export const SEED_REPLY_TEXT = 'Hello from the protocol document, wörld "quoted"';

/** One SSE event as the AI SDK writes a UI message chunk. */
export const sseEvent = (chunk: Record<string, unknown>): string => `data: ${JSON.stringify(chunk)}\n\n`;

/**
 * The scripted reply's `task:stream-chunk` texts: several events in one chunk (with a comment and
 * an `event:` field, which a reader ignores), one event cut in two across chunks (mid JSON, and
 * with CRLF line ends cut between CR and LF), a text part start/deltas/end and finish, and the
 * `[DONE]` sentinel.
 */
export function seedReplyChunks(messageId: string): string[] {
  const delta1 = sseEvent({ type: 'text-delta', id: 'text-1', delta: 'Hello from the protocol document, ' });
  const cut = Math.floor(delta1.length / 2);
  const delta2 = `data: ${JSON.stringify({ type: 'text-delta', id: 'text-1', delta: 'wörld "quoted"' })}\r\n\r\n`;
  return [
    `${sseEvent({ type: 'start', messageId })}: a comment\n\nevent: message\n${sseEvent({ type: 'start-step' })}${sseEvent({ type: 'text-start', id: 'text-1' })}`,
    delta1.slice(0, cut),
    `${delta1.slice(cut)}${delta2.slice(0, -1)}`,
    `${delta2.slice(-1)}${sseEvent({ type: 'text-end', id: 'text-1' })}${sseEvent({ type: 'finish-step' })}${sseEvent({ type: 'finish' })}data: [DONE]\n\n`,
  ];
}

export class SeedDaemon {
  readonly socket: WebSocket;
  readonly viberId: string;
  /** Every frame the gateway sent, parsed. */
  readonly received: SeedFrame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly #options: SeedDaemonOptions;
  #heartbeat: NodeJS.Timeout | undefined;
  readonly #startedAt = Date.now();

  private constructor(url: string, options: SeedDaemonOptions) {
    this.#options = options;
    this.viberId = options.viberId;
    this.socket = new WebSocket(url, {
      headers: {
        Authorization: `Bearer ${options.token}`,
        'X-Viber-Id': options.viberId,
        'X-Viber-Version': '0.1.0-seed',
      },
    });
    this.socket.on('error', () => undefined);
    this.socket.on('message', (data) => this.#receive(data.toString()));
    this.closed = new Promise((resolve) => {
      this.socket.once('close', (code, reason) => {
        clearInterval(this.#heartbeat);
        resolve({ code, reason: reason.toString() });
      });
    });
  }

  /** Opens the socket and says `connected` (the document's first frame), then heartbeats. */
  static async connect(url: string, options: SeedDaemonOptions): Promise<SeedDaemon> {
    const daemon = new SeedDaemon(url, options);
    await new Promise<void>((resolve, reject) => {
      daemon.socket.once('open', () => resolve());
      daemon.socket.once('close', (code, reason) =>
        reject(new Error(`seed daemon refused: ${code} ${reason.toString()}`)),
      );
      daemon.socket.once('unexpected-response', (_request, response) =>
        reject(new Error(`seed daemon upgrade refused: ${response.statusCode}`)),
      );
    });
    daemon.send({
      type: 'connected',
      viber: {
        id: options.viberId,
        name: options.name ?? 'seed viber',
        version: '0.1.0-seed',
        platform: `${process.platform}-${process.arch}`,
        capabilities: ['shell'],
        runningTasks: options.runningTasks ?? [],
      },
    });
    daemon.#heartbeat = setInterval(() => daemon.heartbeat(), options.heartbeatMs ?? 30_000);
    daemon.#heartbeat.unref();
    return daemon;
  }

  send(frame: SeedFrame): void {
    this.socket.send(JSON.stringify({ ...frame, ...this.#options.extraFields }));
  }

  heartbeat(): void {
    this.send({
      type: 'heartbeat',
      status: { state: 'idle', runningTasks: 0, uptimeSeconds: (Date.now() - this.#startedAt) / 1000 },
    });
  }

  /** Runs a task as the document says: started, the reply's SSE text in chunks, completed. */
  reply(taskId: string, chunks: string[] = seedReplyChunks(`msg-${taskId}`)): void {
    this.send({ type: 'task:started', taskId, spaceId: `space-${taskId}` });
    for (const chunk of chunks) this.streamChunk(taskId, chunk);
    this.send({ type: 'task:completed', taskId, result: { text: SEED_REPLY_TEXT } });
  }

  streamChunk(taskId: string, chunk: string): void {
    this.send({ type: 'task:stream-chunk', taskId, chunk });
  }

  ofType(type: string): SeedFrame[] {
    return this.received.filter((frame) => frame.type === type);
  }

  /** The first frame (from index `from`) matching `predicate`, waiting for it if needed. */
  waitFor(predicate: (frame: SeedFrame) => boolean, from = 0): Promise<SeedFrame> {
    return waitFor(() => this.received.slice(from).find(predicate), {
      timeoutMs: 15_000,
      description: `a gateway frame matching ${predicate.toString().slice(0, 120)}`,
    });
  }

  async close(): Promise<void> {
    clearInterval(this.#heartbeat);
    if (this.socket.readyState === WebSocket.CLOSED) return;
    this.socket.close(1000, 'done');
    await this.closed;
  }

  #receive(text: string): void {
    let frame: SeedFrame;
    try {
      frame = JSON.parse(text) as SeedFrame;
    } catch {
      return;
    }
    this.received.push(frame);
    // The document's gateway frames this daemon acts on; any other type is ignored.
    if (frame.type === 'ping') this.send({ type: 'pong' });
    if (frame.type === 'task:submit') {
      if (this.#options.onSubmit) this.#options.onSubmit(this, frame);
      else this.reply(String(frame.taskId));
    }
  }
}
