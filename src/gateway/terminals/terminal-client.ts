import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import {
  type TerminalAccess,
  type TerminalClientMessage,
  type TerminalServerMessage,
  TerminalServerMessageSchema,
} from '../../protocol/index.ts';
import { DEFAULT_TERMINAL_SOCKET_PATH } from './terminal-socket-path.ts';

export interface TerminalClientOptions {
  /** The gateway's HTTP URL (`http://127.0.0.1:6007`); the socket path is appended. */
  gatewayUrl: string;
  token: string;
  access?: TerminalAccess;
  path?: string;
  /** Keep every message in `received` (tests); off for long-lived viewers. */
  record?: boolean;
}

export interface TerminalClientEvents {
  message: [TerminalServerMessage];
  close: [code: number, reason: string];
}

type Answer = Extract<
  TerminalServerMessage,
  { type: 'terminal:list-result' | 'terminal:created' | 'terminal:done' }
>;
type Request = Extract<
  TerminalClientMessage,
  { type: 'terminal:list' | 'terminal:create' | 'terminal:input' | 'terminal:resize' }
>;
/** A request as the caller writes it: the client adds the requestId. */
export type TerminalRequest = Request extends infer R
  ? R extends Request
    ? Omit<R, 'requestId'>
    : never
  : never;

/** A terminal answered with `terminal:error`: the code and message are the gateway's or viber's. */
export class TerminalRequestError extends Error {
  readonly code: string;

  constructor(code: string, message: string) {
    super(message);
    this.name = 'TerminalRequestError';
    this.code = code;
  }
}

/**
 * A client of the gateway's terminal WebSocket, for the CLI, tests and benchmarks: requests with
 * answers (`request`), and every other message as an event.
 */
export class TerminalClient extends EventEmitter<TerminalClientEvents> {
  readonly socket: WebSocket;
  readonly received: TerminalServerMessage[] = [];
  access: TerminalAccess = 'read';
  readonly #record: boolean;
  #nextRequest = 0;

  private constructor(socket: WebSocket, record: boolean) {
    super();
    this.socket = socket;
    this.#record = record;
    socket.on('message', (data) => {
      const parsed = TerminalServerMessageSchema.safeParse(JSON.parse(data.toString()));
      if (!parsed.success) return;
      if (this.#record) this.received.push(parsed.data);
      this.emit('message', parsed.data);
    });
    socket.on('close', (code, reason) => this.emit('close', code, reason.toString()));
    socket.on('error', () => undefined);
  }

  /** Connects and waits for `terminal:ready`; rejects with the gateway's reason when refused. */
  static connect(options: TerminalClientOptions): Promise<TerminalClient> {
    const url = new URL(
      options.path ?? DEFAULT_TERMINAL_SOCKET_PATH,
      options.gatewayUrl.replace(/^http/, 'ws'),
    );
    if (options.access) url.searchParams.set('access', options.access);
    const socket = new WebSocket(url, {
      headers: { authorization: `Bearer ${options.token}` },
      maxPayload: 64 * 1024 * 1024,
    });
    const client = new TerminalClient(socket, options.record ?? false);
    return new Promise((resolve, reject) => {
      const onMessage = (message: TerminalServerMessage) => {
        if (message.type !== 'terminal:ready') return;
        client.access = message.access;
        client.off('message', onMessage);
        resolve(client);
      };
      client.on('message', onMessage);
      socket.once('close', (code, reason) =>
        reject(
          new TerminalRequestError(
            code === 4401 ? 'unauthorized' : 'closed',
            `terminal socket closed (${code}) ${reason.toString()}`.trim(),
          ),
        ),
      );
      socket.once('error', (error) =>
        reject(new TerminalRequestError('unreachable', `cannot reach ${url.origin}: ${error.message}`)),
      );
    });
  }

  send(message: TerminalClientMessage): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  /** Sends a request with a fresh requestId and resolves with its answer (or rejects with its error). */
  request<T extends Answer = Answer>(message: TerminalRequest, timeoutMs = 20_000): Promise<T> {
    this.#nextRequest += 1;
    const requestId = `r${this.#nextRequest}`;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          finish(new TerminalRequestError('timeout', `${message.type} got no answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const onMessage = (answer: TerminalServerMessage) => {
        if (!('requestId' in answer) || answer.requestId !== requestId) return;
        // Only the viber asked may answer: a gateway that mixed vibers up must not show another's panes.
        if (answer.viberId !== message.viberId) return;
        finish(
          answer.type === 'terminal:error'
            ? new TerminalRequestError(answer.code, answer.message)
            : undefined,
          answer as T,
        );
      };
      const onClose = () => finish(new TerminalRequestError('closed', 'the terminal socket closed'));
      const finish = (error: Error | undefined, answer?: T) => {
        clearTimeout(timer);
        this.off('message', onMessage);
        this.off('close', onClose);
        if (error) reject(error);
        else resolve(answer!);
      };
      this.on('message', onMessage);
      this.on('close', onClose);
      this.send({ ...message, requestId } as TerminalClientMessage);
    });
  }

  /** The first recorded message (from index `from`) matching `predicate`, waiting for it. */
  async waitFor<T extends TerminalServerMessage = TerminalServerMessage>(
    predicate: (message: TerminalServerMessage) => boolean,
    timeoutMs = 15_000,
  ): Promise<T> {
    const found = this.received.find(predicate);
    if (found) return found as T;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('message', onMessage);
        reject(new Error('timed out waiting for a terminal message'));
      }, timeoutMs);
      const onMessage = (message: TerminalServerMessage) => {
        if (!predicate(message)) return;
        clearTimeout(timer);
        this.off('message', onMessage);
        resolve(message as T);
      };
      this.on('message', onMessage);
    });
  }

  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    const closed = new Promise<void>((resolve) => this.socket.once('close', () => resolve()));
    this.socket.close();
    await closed;
  }
}
