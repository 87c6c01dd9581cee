import { createPublicKey, randomBytes, verify } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import {
  type ConnectRequest,
  ConnectRequestSchema,
  type ConnectServerFrame,
  connectSignedPayload,
  type DaemonMessage,
  DaemonMessageSchema,
  type GatewayMessage,
  GatewayMessageSchema,
  LIMITS,
  PROTOCOL_VERSION,
} from '../../src/protocol/index.ts';
import { waitFor } from './wait.ts';

/**
 * How the fake answers a daemon's `connect` frame: the frames to send (a `connect.refused` is
 * followed by a 4401 close, as the gateway does). By default `connect.ok` for the viber the
 * daemon names, with the extensions it offered.
 */
export type ConnectAnswer = (request: ConnectRequest, connection: GatewayConnection) => ConnectServerFrame[];

export const acceptConnect: ConnectAnswer = (request) => [
  {
    type: 'connect.ok',
    protocolVersion: PROTOCOL_VERSION,
    extensions: request.extensions.filter((name) => name === 'seq' || name === 'command-ack') as (
      | 'seq'
      | 'command-ack'
    )[],
    deviceId: request.device.id,
    role: 'node',
    scopes: [],
    ...(request.viberId ? { viberId: request.viberId } : {}),
  },
];

/** One daemon connection as the gateway sees it. Every frame is checked against the protocol. */
export class GatewayConnection {
  readonly headers: IncomingHttpHeaders;
  /** The challenge's nonce, sent first on the socket, as the gateway does. */
  readonly nonce = randomBytes(18).toString('base64url');
  /** The daemon's `connect` frame, once it sent one, and whether its signature checked out. */
  connect: ConnectRequest | undefined;
  signatureValid: boolean | undefined;
  readonly messages: DaemonMessage[] = [];
  /** What the test sent before the handshake was done: a gateway sends nothing before connect.ok. */
  readonly #held: string[] = [];
  #handshakeDone = false;
  /** Frames the daemon sent that the protocol does not allow (a test failure if non-empty). */
  readonly invalid: string[] = [];
  readonly socket: WebSocket;
  closed = false;

  constructor(
    socket: WebSocket,
    headers: IncomingHttpHeaders,
    autoAck: () => boolean,
    answerConnect: () => ConnectAnswer,
  ) {
    this.socket = socket;
    this.headers = headers;
    socket.send(JSON.stringify({ type: 'connect.challenge', nonce: this.nonce, ts: Date.now() }));
    socket.on('message', (data) => {
      const text = String(data);
      const json = JSON.parse(text) as { type?: unknown };
      if (json?.type === 'connect' && !this.connect) {
        const request = ConnectRequestSchema.safeParse(json);
        if (!request.success) {
          this.invalid.push(text);
          return;
        }
        this.connect = request.data;
        this.signatureValid = checkSignature(request.data, this.nonce);
        for (const frame of answerConnect()(request.data, this)) this.sendHandshake(frame);
        return;
      }
      const parsed = DaemonMessageSchema.safeParse(json);
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

  /** A handshake frame; after `connect.ok` whatever the test sent meanwhile follows. */
  sendHandshake(frame: ConnectServerFrame): void {
    this.socket.send(JSON.stringify(frame));
    if (frame.type === 'connect.refused') this.socket.close(4401, `${frame.code}: ${frame.message}`);
    if (frame.type !== 'connect.ok') return;
    this.#handshakeDone = true;
    for (const text of this.#held.splice(0)) this.socket.send(text);
  }

  send(message: GatewayMessage): void {
    this.sendRaw(JSON.stringify(GatewayMessageSchema.parse(message)));
  }

  sendRaw(text: string): void {
    if (this.#handshakeDone) this.socket.send(text);
    else this.#held.push(text);
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
  /** How each connection's handshake is answered (accepted by default). */
  answerConnect: ConnectAnswer = acceptConnect;
  readonly #server: WebSocketServer;

  private constructor(server: WebSocketServer) {
    this.#server = server;
    server.on('connection', (socket, request) => {
      this.connections.push(
        new GatewayConnection(
          socket,
          request.headers,
          () => this.autoAck,
          () => this.answerConnect,
        ),
      );
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

/** Whether the connect frame's signature is the device key's, over this socket's nonce. */
function checkSignature(request: ConnectRequest, nonce: string): boolean {
  try {
    const key = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: request.device.publicKey },
      format: 'jwk',
    });
    const payload = connectSignedPayload({
      deviceId: request.device.id,
      role: request.role,
      scopes: request.scopes,
      nonce,
      signedAt: request.device.signedAt,
    });
    return (
      request.nonce === nonce &&
      verify(null, Buffer.from(payload), key, Buffer.from(request.device.signature, 'base64url'))
    );
  } catch {
    return false;
  }
}
