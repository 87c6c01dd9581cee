import { randomUUID } from 'node:crypto';
import type { Logger } from '../../core/logger.ts';
import {
  type DaemonMessage,
  decodePortFrame,
  type ListedPort,
  MAX_PORT_BODY_CHUNK_BYTES,
  PORT_WINDOW_BYTES,
  type PortFailure,
  type PortHeaderList,
} from '../../protocol/index.ts';
import type { ConnectionRegistry } from '../vibers/connection-registry.ts';
import type { ViberConnection } from '../vibers/viber-connection.ts';

type PortReport = Extract<DaemonMessage, { type: `port:${string}` | 'ports:listed' }>;
type ListReport = Extract<PortReport, { type: 'ports:listed' }>;

/** How long a viber has to list its ports (it probes each one, a second at most). */
const LIST_TIMEOUT_MS = 10_000;
/** Response credit is sent in steps of this many bytes, not per chunk. */
const CREDIT_STEP_BYTES = 64 * 1024;

/** A refusal before any exchange: the HTTP status and the message the client is told. */
export class PortRelayError extends Error {
  readonly status: 404 | 502 | 503 | 504;

  constructor(status: 404 | 502 | 503 | 504, message: string) {
    super(message);
    this.name = 'PortRelayError';
    this.status = status;
  }
}

/** What an exchange's client side is told, in this order: a response or a failure, data, done. */
export interface ExchangeSink {
  response(status: number, headers: PortHeaderList): void;
  /** Answer bytes; the sink calls `exchange.credit(n)` once it passed them on. */
  data(bytes: Uint8Array): void;
  done(): void;
  failed(failure: PortFailure | 'offline', message: string): void;
}

export interface ExchangeRequest {
  port: number;
  method: string;
  path: string;
  headers: PortHeaderList;
  upgrade: boolean;
}

/** One proxied request (or tunnel) on the gateway: request bytes out within a window, answer bytes in. */
export class PortExchange {
  readonly id = randomUUID();
  #inFlight = 0;
  #waiters: Array<() => void> = [];
  #uncredited = 0;
  #ended = false;

  readonly viberId: string;
  readonly connection: ViberConnection;
  readonly sink: ExchangeSink;
  readonly #release: (exchange: PortExchange) => void;

  constructor(
    viberId: string,
    connection: ViberConnection,
    sink: ExchangeSink,
    release: (exchange: PortExchange) => void,
  ) {
    this.viberId = viberId;
    this.connection = connection;
    this.sink = sink;
    this.#release = release;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Sends request (or tunnel) bytes; resolves once they are within the window the viber allows. */
  async send(bytes: Uint8Array): Promise<void> {
    for (let at = 0; at < bytes.length && !this.#ended; at += MAX_PORT_BODY_CHUNK_BYTES) {
      const piece = bytes.subarray(at, at + MAX_PORT_BODY_CHUNK_BYTES);
      while (this.#inFlight >= PORT_WINDOW_BYTES && !this.#ended)
        await new Promise<void>((resolve) => this.#waiters.push(resolve));
      if (this.#ended) return;
      this.#inFlight += piece.length;
      const data = Buffer.from(piece).toString('base64');
      this.connection.send({ type: 'port:body', exchangeId: this.id, data });
    }
  }

  /** The request body is complete (a tunnel: the client closed its side). */
  end(): void {
    if (!this.#ended) this.connection.send({ type: 'port:end', exchangeId: this.id });
  }

  /** The client passed `bytes` of the answer on: the viber may send that many more. */
  credit(bytes: number): void {
    if (this.#ended) return;
    this.#uncredited += bytes;
    if (this.#uncredited < CREDIT_STEP_BYTES) return;
    this.connection.send({ type: 'port:credit', exchangeId: this.id, bytes: this.#uncredited });
    this.#uncredited = 0;
  }

  /** The client went away: the viber drops the request. */
  cancel(): void {
    if (this.#ended) return;
    this.connection.send({ type: 'port:cancel', exchangeId: this.id });
    this.finish();
  }

  acknowledged(bytes: number): void {
    this.#inFlight = Math.max(0, this.#inFlight - bytes);
    for (const wake of this.#waiters.splice(0)) wake();
  }

  finish(): void {
    if (this.#ended) return;
    this.#ended = true;
    for (const wake of this.#waiters.splice(0)) wake();
    this.#release(this);
  }
}

/**
 * The gateway's end of ports (docs/ports.md): asks a viber connected here for its ports, and
 * relays proxied requests and tunnels over its connection. A viber connected to another gateway is
 * refused with 503 and where to go: ports are not crossed between gateways (docs/ports.md).
 */
export class PortRelay {
  readonly #connections: ConnectionRegistry;
  readonly #log: Logger;
  readonly #lists = new Map<string, { viberId: string; resolve(report: ListReport | 'offline'): void }>();
  readonly #exchanges = new Map<string, PortExchange>();

  constructor(connections: ConnectionRegistry, log: Logger) {
    this.#connections = connections;
    this.#log = log;
  }

  /** The viber's connection here, or why there is none (503). */
  connectionOf(viberId: string): ViberConnection {
    const connection = this.#connections.get(viberId);
    if (connection?.ready) return connection;
    if (this.#connections.isOnline(viberId)) {
      throw new PortRelayError(
        503,
        `viber ${viberId} is connected to another gateway: ports are relayed only by the gateway that holds the viber's connection, so open the port through that gateway`,
      );
    }
    throw new PortRelayError(503, `viber ${viberId} is not connected`);
  }

  async list(viberId: string): Promise<{ ports: ListedPort[]; unavailable?: string }> {
    const connection = this.connectionOf(viberId);
    const requestId = randomUUID();
    const report = await new Promise<ListReport | 'offline' | undefined>((resolve) => {
      const timer = setTimeout(() => {
        this.#lists.delete(requestId);
        resolve(undefined);
      }, LIST_TIMEOUT_MS);
      this.#lists.set(requestId, {
        viberId,
        resolve: (answer) => {
          clearTimeout(timer);
          resolve(answer);
        },
      });
      connection.send({ type: 'ports:list', requestId });
    });
    if (report === 'offline') throw new PortRelayError(503, `viber ${viberId} disconnected`);
    if (!report)
      throw new PortRelayError(
        504,
        `viber ${viberId} did not list its ports within ${LIST_TIMEOUT_MS / 1000} s`,
      );
    return { ports: report.ports, ...(report.unavailable ? { unavailable: report.unavailable } : {}) };
  }

  /** Starts an exchange with the viber; the sink hears its answer. */
  open(viberId: string, request: ExchangeRequest, timeoutMs: number, sink: ExchangeSink): PortExchange {
    const connection = this.connectionOf(viberId);
    const exchange = new PortExchange(viberId, connection, sink, (done) => this.#exchanges.delete(done.id));
    this.#exchanges.set(exchange.id, exchange);
    connection.send({ type: 'port:request', exchangeId: exchange.id, ...request, timeoutMs });
    return exchange;
  }

  handleDaemonMessage(viberId: string, message: PortReport): void {
    if (message.type === 'ports:listed') {
      const waiting = this.#lists.get(message.requestId);
      if (!waiting || waiting.viberId !== viberId) return;
      this.#lists.delete(message.requestId);
      waiting.resolve(message);
      return;
    }
    const exchange = this.#exchanges.get(message.exchangeId);
    // An answer for an exchange that ended (or another viber's) is dropped.
    if (!exchange || exchange.viberId !== viberId) return;
    switch (message.type) {
      case 'port:response':
        exchange.sink.response(message.status, message.headers);
        return;
      case 'port:ack':
        exchange.acknowledged(message.bytes);
        return;
      case 'port:done':
        exchange.finish();
        exchange.sink.done();
        return;
      case 'port:failed':
        exchange.finish();
        exchange.sink.failed(message.failure, message.message);
        return;
    }
  }

  /** A binary frame from a viber; false when it is not a port frame. */
  handleDaemonFrame(viberId: string, frame: Uint8Array): boolean {
    const decoded = decodePortFrame(frame);
    if (!decoded) return false;
    const exchange = this.#exchanges.get(decoded.exchangeId);
    if (exchange && exchange.viberId === viberId) exchange.sink.data(decoded.data);
    return true;
  }

  viberDisconnected(viberId: string): void {
    for (const exchange of [...this.#exchanges.values()]) {
      if (exchange.viberId !== viberId) continue;
      exchange.finish();
      exchange.sink.failed('offline', `viber ${viberId} disconnected`);
    }
    for (const [requestId, waiting] of this.#lists) {
      if (waiting.viberId !== viberId) continue;
      this.#lists.delete(requestId);
      waiting.resolve('offline');
    }
    this.#log.debug({ viberId }, 'port exchanges of a disconnected viber ended');
  }

  get size(): number {
    return this.#exchanges.size;
  }
}

/** Whether a daemon message belongs to ports. */
export function isPortMessage(message: DaemonMessage): message is PortReport {
  return message.type === 'ports:listed' || message.type.startsWith('port:');
}
