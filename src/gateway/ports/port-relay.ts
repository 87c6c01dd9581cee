import { randomUUID } from 'node:crypto';
import type { Logger } from '../../core/logger.ts';
import { type DaemonMessage, decodePortFrame } from '../../protocol/index.ts';
import type { PortFromViber, PortToViber } from '../bus/gateway-topics.ts';
import type { ConnectionRegistry } from '../vibers/connection-registry.ts';
import type { ViberConnection } from '../vibers/viber-connection.ts';
import type { PortListing, PortRelayCrossing, ServedExchange } from './port-crossing-port.ts';
import { type ExchangeRequest, type ExchangeSink, PortExchange } from './port-exchange.ts';

type PortReport = Extract<DaemonMessage, { type: `port:${string}` | 'ports:listed' }>;
type ListReport = Extract<PortReport, { type: 'ports:listed' }>;

/** How long a viber has to list its ports (it probes each one, a second at most). */
export const LIST_TIMEOUT_MS = 10_000;

/** A refusal before any exchange: the HTTP status and the message the client is told. */
export class PortRelayError extends Error {
  readonly status: 404 | 502 | 503 | 504;

  constructor(status: 404 | 502 | 503 | 504, message: string) {
    super(message);
    this.name = 'PortRelayError';
    this.status = status;
  }
}

/** Where a viber is reached from here: its connection, or the other gateway that holds it. */
type Route = { connection: ViberConnection } | { holder: string };

/**
 * The gateway's end of ports (docs/ports.md): asks a viber for its ports, and relays proxied
 * requests and tunnels over its connection. A viber connected to another gateway is reached
 * through that gateway (port-crossing.ts); this relay then also serves, for the vibers connected
 * here, the exchanges of the other gateways' clients, passing their messages through as they are.
 */
export class PortRelay {
  readonly #connections: ConnectionRegistry;
  readonly #log: Logger;
  readonly #lists = new Map<string, { viberId: string; resolve(report: ListReport | 'offline'): void }>();
  readonly #exchanges = new Map<string, PortExchange>();
  /** Exchanges of other gateways' clients, of vibers connected here (port-crossing.ts). */
  readonly #served = new Map<string, ServedExchange>();
  #crossing: PortRelayCrossing | undefined;

  constructor(connections: ConnectionRegistry, log: Logger) {
    this.#connections = connections;
    this.#log = log;
  }

  /** Several gateways: ports of vibers held by another gateway go through it. */
  crossGateways(crossing: PortRelayCrossing): void {
    this.#crossing = crossing;
  }

  /** The viber's ports: asked of it here, or of the gateway holding it. */
  async list(viberId: string): Promise<PortListing> {
    const route = this.#route(viberId);
    if ('holder' in route && this.#crossing) return this.#crossing.list(viberId, route.holder);
    return this.listHere(viberId);
  }

  /** The ports of a viber connected to this gateway (never asked of another). */
  async listHere(viberId: string): Promise<PortListing> {
    const connection = this.#connectionHere(viberId);
    if (!connection) throw new PortRelayError(503, `viber ${viberId} is not connected`);
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

  /** Starts an exchange with the viber (here or through its holder); the sink hears its answer. */
  open(viberId: string, request: ExchangeRequest, timeoutMs: number, sink: ExchangeSink): PortExchange {
    const route = this.#route(viberId);
    const crossing = this.#crossing;
    const holder = 'holder' in route && crossing ? route.holder : undefined;
    const exchange = new PortExchange({
      viberId,
      sink,
      ...(holder !== undefined ? { holder } : {}),
      toViber:
        'connection' in route
          ? (message) => route.connection.send(message)
          : (message) => crossing?.toViber(route.holder, viberId, message),
      release: (done) => {
        this.#exchanges.delete(done.id);
        if (done.holder !== undefined) crossing?.ended(done.id);
      },
    });
    this.#exchanges.set(exchange.id, exchange);
    if (holder !== undefined) crossing?.opened(exchange.id, viberId, holder);
    exchange.request(request, timeoutMs);
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
    const served = this.#served.get(message.exchangeId);
    if (served) {
      if (served.viberId !== viberId) return;
      if (message.type === 'port:done' || message.type === 'port:failed') this.#served.delete(served.id);
      served.report(message);
      return;
    }
    const exchange = this.#exchanges.get(message.exchangeId);
    // An answer for an exchange that ended (or another viber's, or one going through a holder) is dropped.
    if (!exchange || exchange.viberId !== viberId || exchange.holder !== undefined) return;
    this.#report(exchange, message);
  }

  /** A binary frame from a viber; false when it is not a port frame. */
  handleDaemonFrame(viberId: string, frame: Uint8Array): boolean {
    const decoded = decodePortFrame(frame);
    if (!decoded) return false;
    const served = this.#served.get(decoded.exchangeId);
    if (served) {
      if (served.viberId === viberId) served.data(decoded.data);
      return true;
    }
    const exchange = this.#exchanges.get(decoded.exchangeId);
    if (exchange && exchange.viberId === viberId && exchange.holder === undefined)
      exchange.sink.data(decoded.data);
    return true;
  }

  viberDisconnected(viberId: string): void {
    for (const exchange of [...this.#exchanges.values()]) {
      // An exchange through another gateway ends when that gateway says so, or goes away.
      if (exchange.viberId !== viberId || exchange.holder !== undefined) continue;
      exchange.finish();
      exchange.sink.failed('offline', `viber ${viberId} disconnected`);
    }
    for (const served of [...this.#served.values()]) {
      if (served.viberId !== viberId) continue;
      this.#served.delete(served.id);
      served.gone(`viber ${viberId} disconnected`);
    }
    for (const [requestId, waiting] of this.#lists) {
      if (waiting.viberId !== viberId) continue;
      this.#lists.delete(requestId);
      waiting.resolve('offline');
    }
    this.#log.debug({ viberId }, 'port exchanges of a disconnected viber ended');
  }

  /** The viber's message for an exchange going through `holder`, from that gateway. */
  fromHolder(holder: string, message: PortFromViber): void {
    const exchange = this.#exchanges.get(message.exchangeId);
    if (exchange?.holder === holder) this.#report(exchange, message);
  }

  /** Answer bytes of an exchange going through `holder`, from that gateway. */
  dataFromHolder(holder: string, exchangeId: string, bytes: Uint8Array): void {
    const exchange = this.#exchanges.get(exchangeId);
    if (exchange?.holder === holder) exchange.sink.data(bytes);
  }

  /** An exchange through another gateway ended there (or that gateway went away), saying why. */
  endRemote(exchangeId: string, message: string): void {
    const exchange = this.#exchanges.get(exchangeId);
    if (exchange?.holder === undefined) return;
    exchange.finish();
    exchange.sink.failed('offline', message);
  }

  /** Opens an exchange on a viber connected here for a client of another gateway. */
  serve(served: ServedExchange, request: Extract<PortToViber, { type: 'port:request' }>): boolean {
    const connection = this.#connectionHere(served.viberId);
    if (!connection || this.#exchanges.has(served.id) || this.#served.has(served.id)) return false;
    this.#served.set(served.id, served);
    connection.send(request);
    return true;
  }

  /** A message of another gateway's client for an exchange served here (body, end, credit, cancel). */
  serveMessage(exchangeId: string, message: PortToViber): void {
    const served = this.#served.get(exchangeId);
    if (!served) return;
    if (message.type === 'port:cancel') this.#served.delete(exchangeId);
    this.#connections.get(served.viberId)?.send(message);
  }

  /** The client of another gateway went away: the viber drops the exchange. */
  stopServing(exchangeId: string): void {
    this.serveMessage(exchangeId, { type: 'port:cancel', exchangeId });
  }

  /** Exchanges of this gateway's clients (tests, metrics). */
  get size(): number {
    return this.#exchanges.size;
  }

  /** Exchanges of other gateways' clients served here (tests, metrics). */
  get servedCount(): number {
    return this.#served.size;
  }

  #report(exchange: PortExchange, message: PortFromViber): void {
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

  #connectionHere(viberId: string): ViberConnection | undefined {
    const connection = this.#connections.get(viberId);
    return connection?.ready ? connection : undefined;
  }

  /** Here, or through the gateway holding it; a viber connected nowhere is refused with 503. */
  #route(viberId: string): Route {
    const connection = this.#connectionHere(viberId);
    if (connection) return { connection };
    const holder = this.#crossing?.where(viberId);
    if (holder !== undefined) return { holder };
    throw new PortRelayError(503, `viber ${viberId} is not connected`);
  }
}

/** Whether a daemon message belongs to ports. */
export function isPortMessage(message: DaemonMessage): message is PortReport {
  return message.type === 'ports:listed' || message.type.startsWith('port:');
}
