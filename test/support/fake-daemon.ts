import WebSocket from 'ws';
import {
  type DeviceIdentity,
  generateDeviceKeys,
  type HandshakeSocket,
  identityFromKeyPair,
  isHandshakeFrame,
  performHandshake,
} from '../../src/client/index.ts';
import {
  type ConnectOk,
  type DaemonMessage,
  type GatewayMessage,
  GatewayMessageSchema,
  PROTOCOL_VERSION,
  type ViberInfo,
} from '../../src/protocol/index.ts';
import { waitFor } from './wait.ts';

export interface FakeDaemonOptions {
  viberId: string;
  token: string;
  /**
   * How it authenticates: `handshake` runs the connect handshake (as the viber's token, with a key
   * of its own, asking for `extensions`), as OpenViber's daemon does; `headers` sends the protocol
   * document's `Authorization` and `X-Viber-Id` on the upgrade (no extensions). `connect` defaults
   * to the handshake; the constructor, which the refused-connection tests use, to headers.
   */
  auth?: 'handshake' | 'headers';
  /** The key the handshake signs with; `connect` makes a fresh one. */
  identity?: DeviceIdentity;
  /** Offered in the handshake; default both, so the gateway numbers nothing and redelivers commands. */
  extensions?: string[];
  /** Sent as X-Viber-Id; defaults to viberId (tests spoof it). */
  claimedId?: string;
  /** Upgrade headers sent instead of the right ones (a missing Authorization). */
  headers?: Record<string, string>;
  /** The name in its `connected` message. */
  name?: string;
  /** Largest frame it accepts (the gateway may echo a big frame in its error). */
  maxPayload?: number;
}

/**
 * The daemon played by a test, a benchmark or a bad-input scenario: a real `ws` client that speaks
 * the protocol by hand, so it can also send what no daemon would (any bytes, another viber's id).
 * Connected with `connect`, it runs the connect handshake and negotiates `seq` and `command-ack`,
 * as OpenViber's daemon does: it numbers its task events and acknowledges commands by hand.
 * Every gateway frame is checked against the protocol schema: a frame that fails lands in
 * `invalid`, which a test expects to stay empty.
 */
export class FakeDaemon {
  readonly socket: WebSocket;
  readonly viberId: string;
  readonly name: string;
  readonly received: GatewayMessage[] = [];
  /** Frames from the gateway that did not match GatewayMessageSchema (or were not JSON). */
  readonly invalid: string[] = [];
  /** Settles with the close code and reason, however the socket closed. */
  readonly closed: Promise<{ code: number; reason: string }>;
  /**
   * True once open (and, with the handshake, once the gateway said `connect.ok`); false when the
   * upgrade or the handshake was refused, or the socket closed first.
   */
  readonly opened: Promise<boolean>;
  /** The gateway's `connect.ok`, after a handshake. */
  connectOk: ConnectOk | undefined;
  /** Why the handshake failed, when it did. */
  handshakeError: Error | undefined;
  #refused: { status: number; body: string } | undefined;

  constructor(wsUrl: string, options: FakeDaemonOptions) {
    this.viberId = options.viberId;
    this.name = options.name ?? 'test viber';
    const handshake = options.auth === 'handshake';
    if (handshake && !options.identity)
      throw new Error('the handshake needs an identity: use FakeDaemon.connect');
    this.socket = new WebSocket(wsUrl, {
      headers: handshake
        ? { 'x-viber-version': String(PROTOCOL_VERSION) }
        : (options.headers ?? {
            authorization: `Bearer ${options.token}`,
            'x-viber-id': options.claimedId ?? options.viberId,
            'x-viber-version': String(PROTOCOL_VERSION),
          }),
      maxPayload: options.maxPayload ?? 16 * 1024 * 1024,
    });
    this.socket.on('message', (data) => this.#receive(data.toString()));
    this.socket.on('error', () => undefined);
    // A refused upgrade keeps its status and body; the socket closes once they are read.
    this.socket.on('unexpected-response', (_request, response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (part: string) => {
        body += part;
      });
      response.on('end', () => {
        this.#refused = { status: response.statusCode ?? 0, body };
        this.socket.terminate();
      });
    });
    this.opened = new Promise((resolve) => {
      this.socket.once('open', () => {
        if (!handshake) return resolve(true);
        // `ws` keeps the DOM's event-listener API, which HandshakeSocket names more narrowly.
        performHandshake(this.socket as unknown as HandshakeSocket, {
          identity: options.identity!,
          ask: {
            role: 'node',
            token: options.token,
            viberId: options.viberId,
            extensions: options.extensions ?? ['seq', 'command-ack'],
          },
        }).then(
          (ok) => {
            this.connectOk = ok;
            resolve(true);
          },
          (error: Error) => {
            this.handshakeError = error;
            resolve(false);
          },
        );
      });
      this.socket.once('close', () => resolve(false));
    });
    this.closed = new Promise((resolve) => {
      this.socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
  }

  /** A fresh device key, as a new daemon makes one. */
  static async newIdentity(): Promise<DeviceIdentity> {
    return identityFromKeyPair(await generateDeviceKeys(true));
  }

  /**
   * Connects (by default with the connect handshake, a fresh key and both extensions), says
   * `connected` and waits (`timeoutMs`) for the gateway's `welcome`.
   */
  static async connect(
    wsUrl: string,
    options: FakeDaemonOptions & { runningTasks?: string[]; timeoutMs?: number },
  ): Promise<FakeDaemon> {
    const auth = options.auth ?? 'handshake';
    const identity =
      auth === 'handshake' ? (options.identity ?? (await FakeDaemon.newIdentity())) : undefined;
    const daemon = new FakeDaemon(wsUrl, { ...options, auth, ...(identity ? { identity } : {}) });
    if (!(await daemon.opened)) {
      const why = daemon.handshakeError?.message ?? daemon.refused?.body ?? 'the socket closed';
      throw new Error(`daemon ${options.viberId} could not connect: ${why}`);
    }
    daemon.send({ type: 'connected', viber: daemon.info(options.runningTasks ?? []) });
    await daemon.waitFor((message) => message.type === 'welcome', { timeoutMs: options.timeoutMs });
    return daemon;
  }

  /** The HTTP status and body of a refused upgrade, once read. */
  get refused(): { status: number; body: string } | undefined {
    return this.#refused;
  }

  info(runningTasks: string[] = []): ViberInfo {
    return {
      id: this.viberId,
      name: this.name,
      version: 'test',
      platform: process.platform,
      capabilities: [],
      runningTasks,
    };
  }

  /** A protocol message, or any text or bytes as they are (bad-input tests). */
  send(message: DaemonMessage | string | Buffer): void {
    this.socket.send(
      typeof message === 'string' || Buffer.isBuffer(message) ? message : JSON.stringify(message),
    );
  }

  /** The first message (from index `from`) matching `predicate`, waiting for it if needed. */
  waitFor<T extends GatewayMessage = GatewayMessage>(
    predicate: (message: GatewayMessage) => boolean,
    options: { from?: number; timeoutMs?: number } = {},
  ): Promise<T> {
    return waitFor(() => this.received.slice(options.from ?? 0).find(predicate) as T | undefined, {
      timeoutMs: options.timeoutMs ?? 15_000,
      description: `a gateway message matching ${predicate.toString().slice(0, 120)}`,
    });
  }

  /** Takes a task on as a daemon does: acknowledges its `task:submit`, then reports it started (seq 1). */
  async startTask(taskId: string): Promise<Extract<GatewayMessage, { type: 'task:submit' }>> {
    const submit = await this.waitFor<Extract<GatewayMessage, { type: 'task:submit' }>>(
      (message) => message.type === 'task:submit' && message.taskId === taskId,
    );
    this.send({ type: 'command:ack', commandId: submit.commandId });
    this.send({ type: 'task:started', taskId, seq: 1, spaceId: 's' });
    return submit;
  }

  ofType<K extends GatewayMessage['type']>(type: K): Extract<GatewayMessage, { type: K }>[] {
    return this.received.filter((message) => message.type === type) as Extract<GatewayMessage, { type: K }>[];
  }

  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    this.socket.close(1000, 'done');
    await this.closed;
  }

  #receive(text: string): void {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      this.invalid.push(text);
      return;
    }
    if (isHandshakeFrame(value)) return; // the handshake's own, read by performHandshake
    const parsed = GatewayMessageSchema.safeParse(value);
    if (parsed.success) this.received.push(parsed.data);
    else this.invalid.push(text);
  }
}
