import WebSocket from 'ws';
import {
  type DaemonMessage,
  type GatewayMessage,
  GatewayMessageSchema,
  type ViberInfo,
} from '../../protocol/index.ts';
import { waitUntil } from './wait-until.ts';

export interface TestDaemonOptions {
  viberId: string;
  token: string;
  /** Sent as X-Viber-Id; defaults to viberId (tests spoof it). */
  claimedId?: string;
}

/**
 * A daemon stand-in for tests and benchmarks: a real `ws` client speaking the protocol, recording
 * every gateway message after validating it against the protocol schema.
 */
export class TestDaemon {
  readonly socket: WebSocket;
  readonly viberId: string;
  readonly received: GatewayMessage[] = [];
  /** Frames from the gateway that did not match GatewayMessageSchema (should stay empty). */
  readonly invalid: string[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly opened: Promise<boolean>;

  constructor(wsUrl: string, options: TestDaemonOptions) {
    this.viberId = options.viberId;
    this.socket = new WebSocket(wsUrl, {
      headers: {
        authorization: `Bearer ${options.token}`,
        'x-viber-id': options.claimedId ?? options.viberId,
        'x-viber-version': 'test',
      },
    });
    this.socket.on('message', (data) => {
      const text = data.toString();
      const parsed = GatewayMessageSchema.safeParse(JSON.parse(text));
      if (parsed.success) this.received.push(parsed.data);
      else this.invalid.push(text);
    });
    this.socket.on('error', () => {});
    this.opened = new Promise((resolve) => {
      this.socket.once('open', () => resolve(true));
      this.socket.once('close', () => resolve(false));
    });
    this.closed = new Promise((resolve) => {
      this.socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    });
  }

  static async connect(
    wsUrl: string,
    options: TestDaemonOptions & { runningTasks?: string[] },
  ): Promise<TestDaemon> {
    const daemon = new TestDaemon(wsUrl, options);
    if (!(await daemon.opened)) throw new Error(`daemon ${options.viberId} could not connect`);
    daemon.send({ type: 'connected', viber: daemon.info(options.runningTasks ?? []) });
    await daemon.waitFor((message) => message.type === 'welcome');
    return daemon;
  }

  info(runningTasks: string[]): ViberInfo {
    return {
      id: this.viberId,
      name: 'test viber',
      version: 'test',
      platform: process.platform,
      capabilities: [],
      runningTasks,
    };
  }

  send(message: DaemonMessage | string): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** The first message (from index `from`) matching `predicate`, waiting for it if needed. */
  async waitFor<T extends GatewayMessage = GatewayMessage>(
    predicate: (message: GatewayMessage) => boolean,
    options: { from?: number; timeoutMs?: number } = {},
  ): Promise<T> {
    let found: GatewayMessage | undefined;
    await waitUntil(
      () => {
        found = this.received.slice(options.from ?? 0).find(predicate);
        return found !== undefined;
      },
      { timeoutMs: options.timeoutMs ?? 10_000, what: 'a gateway message' },
    );
    return found as T;
  }

  ofType<K extends GatewayMessage['type']>(type: K): Extract<GatewayMessage, { type: K }>[] {
    return this.received.filter((message) => message.type === type) as Extract<GatewayMessage, { type: K }>[];
  }

  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    this.socket.close();
    await this.closed;
  }
}
