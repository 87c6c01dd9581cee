import WebSocket from 'ws';
import {
  connectTerminal,
  createGatewayClient,
  type TerminalConnection,
  type TerminalListener,
} from '../../src/client/index.ts';
import type {
  TerminalAccess,
  TerminalClientMessage,
  TerminalOutputFormat,
  TerminalServerMessage,
} from '../../src/protocol/index.ts';
import { waitFor } from './wait.ts';

/**
 * A viewer of the gateway's terminal socket for tests and benchmarks: the client's own
 * `connectTerminal`, with every message kept in `received` to wait on. Its socket is the `ws`
 * package's rather than the runtime's, because only that one can stop reading (`pause`), which
 * is how a test plays a viewer whose buffers fill.
 */
export class TerminalViewer {
  readonly connection: TerminalConnection;
  readonly received: TerminalServerMessage[] = [];
  /** Sends a request with a fresh requestId; resolves with its answer or rejects with its error. */
  readonly request: TerminalConnection['request'];
  readonly #socket: WebSocket;

  private constructor(connection: TerminalConnection, socket: WebSocket) {
    this.connection = connection;
    this.#socket = socket;
    this.request = connection.request.bind(connection);
    connection.onMessage((message) => this.received.push(message));
  }

  /**
   * Connects and resolves on `terminal:ready`; rejects with the client's error when refused.
   * `output` is the client's default (binary frames) unless a test asks for JSON.
   */
  static async connect(
    gatewayUrl: string,
    token: string,
    access?: TerminalAccess,
    output?: TerminalOutputFormat,
  ): Promise<TerminalViewer> {
    let socket: WebSocket | undefined;
    const connection = await connectTerminal(createGatewayClient({ baseUrl: gatewayUrl, token }), {
      ...(access ? { access } : {}),
      ...(output ? { output } : {}),
      openSocket: (url, headers) => {
        socket = new WebSocket(url, { headers, maxPayload: 64 * 1024 * 1024 });
        socket.on('error', () => undefined);
        // `ws` has the events, fields and methods the connection uses of the runtime's WebSocket.
        return socket as unknown as globalThis.WebSocket;
      },
    });
    return new TerminalViewer(connection, socket!);
  }

  get access(): TerminalAccess {
    return this.connection.access;
  }

  /** A message checked against the protocol first, as the board and the CLI send it. */
  send(message: TerminalClientMessage): void {
    this.connection.send(message);
  }

  /** Any text, unchecked: what a broken or hostile viewer could send. */
  sendRaw(text: string): void {
    this.#socket.send(text);
  }

  onMessage(listener: TerminalListener): () => void {
    return this.connection.onMessage(listener);
  }

  /** Everything the pane `target` printed to this viewer so far, in order. */
  output(target: string): string {
    return this.received
      .flatMap((message) =>
        message.type === 'terminal:output' && message.target === target ? [message.data] : [],
      )
      .join('');
  }

  /** The first message received so far or later that matches `predicate`. */
  waitFor<T extends TerminalServerMessage = TerminalServerMessage>(
    predicate: (message: TerminalServerMessage) => boolean,
    timeoutMs = 15_000,
  ): Promise<T> {
    return waitFor(() => this.received.find(predicate) as T | undefined, {
      timeoutMs,
      description: `a terminal message matching ${predicate.toString().slice(0, 120)}`,
    });
  }

  /** Stops reading the socket: the gateway's writes back up, as for a viewer on a stalled link. */
  pause(): void {
    this.#socket.pause();
  }

  resume(): void {
    this.#socket.resume();
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}
