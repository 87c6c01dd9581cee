import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import {
  type DaemonMessage,
  DaemonMessageSchema,
  type GatewayMessage,
  GatewayMessageSchema,
  LIMITS,
  PROTOCOL_VERSION,
} from '../../src/protocol/index.ts';
import { waitFor } from './wait.ts';

/** One daemon connection as the gateway sees it. Every frame is checked against the protocol. */
export class GatewayConnection {
  readonly headers: IncomingHttpHeaders;
  readonly messages: DaemonMessage[] = [];
  /** Frames the daemon sent that the protocol does not allow (a test failure if non-empty). */
  readonly invalid: string[] = [];
  readonly socket: WebSocket;
  closed = false;

  constructor(socket: WebSocket, headers: IncomingHttpHeaders, autoAck: () => boolean) {
    this.socket = socket;
    this.headers = headers;
    socket.on('message', (data) => {
      const text = String(data);
      const parsed = DaemonMessageSchema.safeParse(JSON.parse(text));
      if (!parsed.success) {
        this.invalid.push(text);
        return;
      }
      this.messages.push(parsed.data);
      if (autoAck() && 'seq' in parsed.data) this.ackAll();
    });
    socket.on('close', () => {
      this.closed = true;
    });
  }

  send(message: GatewayMessage): void {
    this.socket.send(JSON.stringify(GatewayMessageSchema.parse(message)));
  }

  sendRaw(text: string): void {
    this.socket.send(text);
  }

  /** Acknowledges every task event received on this connection so far. */
  ackAll(): void {
    const highest = new Map<string, number>();
    for (const message of this.messages) {
      if ('seq' in message)
        highest.set(message.taskId, Math.max(message.seq, highest.get(message.taskId) ?? 0));
    }
    for (const [taskId, seq] of highest) this.send({ type: 'task:ack', taskId, seq });
  }

  welcome(viberId: string, heartbeatIntervalMs = 30_000): void {
    this.send({
      type: 'welcome',
      protocolVersion: PROTOCOL_VERSION,
      viberId,
      heartbeatIntervalMs,
      maxFrameBytes: LIMITS.maxFrameBytes,
    });
  }

  ofType<K extends DaemonMessage['type']>(type: K): Extract<DaemonMessage, { type: K }>[] {
    return this.messages.filter(
      (message): message is Extract<DaemonMessage, { type: K }> => message.type === type,
    );
  }

  /** The seqs of one task's events received on this connection, in arrival order. */
  seqs(taskId: string): number[] {
    return this.messages.flatMap((message) =>
      'seq' in message && 'taskId' in message && message.taskId === taskId ? [message.seq] : [],
    );
  }

  async waitFor<K extends DaemonMessage['type']>(
    type: K,
    predicate: (message: Extract<DaemonMessage, { type: K }>) => boolean = () => true,
  ): Promise<Extract<DaemonMessage, { type: K }>> {
    return waitFor(() => this.ofType(type).find(predicate), { description: `${type} from the daemon` });
  }
}

/**
 * The gateway played by a daemon test: a real WebSocket server on 127.0.0.1, port 0, that checks
 * every frame the daemon sends against the protocol and answers only as the test tells it.
 */
export class FakeGateway {
  readonly connections: GatewayConnection[] = [];
  /** Decides each upgrade: answer with an HTTP status to refuse it. */
  refuseWith: { status: number; body: string } | undefined;
  /** Acknowledge every task event as it arrives, like a gateway that stored it. */
  autoAck = false;
  readonly #server: WebSocketServer;

  private constructor(server: WebSocketServer) {
    this.#server = server;
    server.on('connection', (socket, request) => {
      this.connections.push(new GatewayConnection(socket, request.headers, () => this.autoAck));
    });
  }

  static async start(): Promise<FakeGateway> {
    let gateway: FakeGateway | undefined;
    const server = new WebSocketServer({
      host: '127.0.0.1',
      port: 0,
      path: '/ws',
      verifyClient: (_info, done) => {
        const refusal = gateway?.refuseWith;
        if (refusal) done(false, refusal.status, refusal.body);
        else done(true);
      },
    });
    await new Promise<void>((resolve) => server.once('listening', resolve));
    gateway = new FakeGateway(server);
    return gateway;
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.#server.address() as AddressInfo).port}/ws`;
  }

  /** The n-th connection (1-based), once the daemon has made it. */
  connection(n: number): Promise<GatewayConnection> {
    return waitFor(() => this.connections[n - 1], { description: `connection ${n}` });
  }

  async close(): Promise<void> {
    for (const client of this.#server.clients) client.terminate();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
