import { type ClientRequest, type IncomingMessage, request } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../../core/logger.ts';
import {
  type DaemonMessage,
  encodePortFrame,
  type GatewayMessage,
  MAX_PORT_FRAME_BYTES,
  PORT_WINDOW_BYTES,
  type PortFailure,
  type PortHeaderList,
} from '../../protocol/index.ts';
import { connectHost } from './proc-net.ts';

export type PortMessage = Extract<GatewayMessage, { type: `port:${string}` }>;
type PortRequest = Extract<PortMessage, { type: 'port:request' }>;

export interface PortLink {
  send(message: DaemonMessage): boolean;
  sendBinary(frame: Uint8Array): boolean;
  /** Bytes queued on the gateway link and not yet sent. */
  readonly bufferedBytes: number;
}

/** Where a port's service listens, or why it may not be reached. */
export type PortTarget = { ok: true; address: string } | { ok: false; failure: PortFailure; message: string };

/** Most exchanges at once: a page with many assets opens a few dozen; more waits are refused. */
const MAX_EXCHANGES = 256;
/** Above this much queued on the gateway link, reading from services pauses (as the desktop view does). */
const LINK_HIGH_WATER_BYTES = 4 * 1024 * 1024;
const RESUME_CHECK_MS = 20;

interface Exchange {
  id: string;
  port: number;
  req?: ClientRequest;
  /** The service's side once it answered: its response, or the tunnel's socket. */
  source?: IncomingMessage | Socket;
  tunnel?: Socket;
  /** Request bytes and the end, arrived before the service was found. */
  early: Array<Buffer | 'end'>;
  /** Answer bytes sent and not yet credited by the gateway. */
  unacked: number;
  answered: boolean;
  finished: boolean;
  timer?: NodeJS.Timeout;
}

/**
 * The viber's end of proxied ports (docs/ports.md): each `port:request` becomes a request to the
 * service on this machine, its answer streamed back as binary frames, or (a WebSocket upgrade the
 * service accepts) a tunnel of raw bytes both ways. Flow control both ways: at most
 * PORT_WINDOW_BYTES of an answer are unacknowledged before reading the service pauses, and every
 * request byte written to the service is acknowledged so the gateway sends no more than a window.
 */
export class PortExchanges {
  readonly #exchanges = new Map<string, Exchange>();
  readonly #link: PortLink;
  readonly #target: (port: number) => Promise<PortTarget>;
  readonly #viberId: string;
  readonly #log: Logger;

  constructor(options: {
    link: PortLink;
    target: (port: number) => Promise<PortTarget>;
    viberId: string;
    log: Logger;
  }) {
    this.#link = options.link;
    this.#target = options.target;
    this.#viberId = options.viberId;
    this.#log = options.log;
  }

  handle(message: PortMessage): void {
    if (message.type === 'port:request') {
      void this.#start(message);
      return;
    }
    const exchange = this.#exchanges.get(message.exchangeId);
    if (!exchange) return;
    switch (message.type) {
      case 'port:body':
        this.#write(exchange, Buffer.from(message.data, 'base64'));
        return;
      case 'port:end':
        this.#write(exchange, 'end');
        return;
      case 'port:credit':
        exchange.unacked = Math.max(0, exchange.unacked - message.bytes);
        this.#resumeIfAllowed(exchange);
        return;
      case 'port:cancel':
        this.#forget(exchange);
        return;
    }
  }

  /** The gateway link dropped: the gateway forgot every exchange, so they all end here. */
  closeAll(): void {
    for (const exchange of [...this.#exchanges.values()]) this.#forget(exchange);
  }

  get size(): number {
    return this.#exchanges.size;
  }

  async #start(message: PortRequest): Promise<void> {
    const { exchangeId, port } = message;
    if (this.#exchanges.has(exchangeId)) return;
    const exchange: Exchange = {
      id: exchangeId,
      port,
      early: [],
      unacked: 0,
      answered: false,
      finished: false,
    };
    if (this.#exchanges.size >= MAX_EXCHANGES) {
      this.#fail(
        exchange,
        'busy',
        `viber ${this.#viberId} already relays ${MAX_EXCHANGES} requests to its ports`,
      );
      return;
    }
    this.#exchanges.set(exchangeId, exchange);
    const target = await this.#target(port).catch(
      (error: Error): PortTarget => ({ ok: false, failure: 'error', message: error.message }),
    );
    if (!this.#exchanges.has(exchangeId)) return; // cancelled meanwhile
    if (!target.ok) {
      this.#fail(exchange, target.failure, target.message);
      return;
    }
    let req: ClientRequest;
    try {
      req = request({
        host: connectHost(target.address),
        port,
        method: message.method,
        path: message.path,
        headers: headerObject(message.headers, port),
        agent: false,
      });
    } catch (error) {
      // node:http refuses a header value or path it cannot send (control characters).
      this.#fail(exchange, 'error', `the request cannot be sent: ${(error as Error).message}`);
      return;
    }
    exchange.req = req;
    exchange.timer = setTimeout(() => {
      this.#fail(
        exchange,
        'timeout',
        `port ${port} on viber ${this.#viberId} did not answer within ${Math.round(message.timeoutMs / 1000)} s`,
      );
    }, message.timeoutMs);
    req.on('response', (response) => this.#answer(exchange, response));
    req.on('upgrade', (response, socket, head) => this.#tunnel(exchange, response, socket, head));
    req.on('error', (error: NodeJS.ErrnoException) => this.#failed(exchange, error));
    if (message.upgrade) req.end();
    for (const item of exchange.early.splice(0)) this.#write(exchange, item);
  }

  #write(exchange: Exchange, item: Buffer | 'end'): void {
    if (exchange.tunnel) {
      if (item === 'end') exchange.tunnel.end();
      else exchange.tunnel.write(item, () => this.#ack(exchange, item.length));
      return;
    }
    const req = exchange.req;
    if (!req) {
      exchange.early.push(item);
      return;
    }
    if (req.writableEnded) return;
    if (item === 'end') req.end();
    else req.write(item, () => this.#ack(exchange, item.length));
  }

  #ack(exchange: Exchange, bytes: number): void {
    if (bytes > 0 && this.#exchanges.has(exchange.id))
      this.#link.send({ type: 'port:ack', exchangeId: exchange.id, bytes });
  }

  #answer(exchange: Exchange, response: IncomingMessage): void {
    clearTimeout(exchange.timer);
    exchange.answered = true;
    exchange.source = response;
    this.#link.send({
      type: 'port:response',
      exchangeId: exchange.id,
      status: response.statusCode ?? 502,
      headers: pairsOf(response.rawHeaders),
    });
    this.#pipeUp(exchange, response);
    response.on('end', () => this.#done(exchange));
    response.on('error', (error) => this.#failed(exchange, error));
  }

  #tunnel(exchange: Exchange, response: IncomingMessage, socket: Socket, head: Buffer): void {
    clearTimeout(exchange.timer);
    exchange.answered = true;
    exchange.tunnel = socket;
    exchange.source = socket;
    this.#link.send({
      type: 'port:response',
      exchangeId: exchange.id,
      status: response.statusCode ?? 101,
      headers: pairsOf(response.rawHeaders),
    });
    if (head.length > 0) this.#sendUp(exchange, head);
    this.#pipeUp(exchange, socket);
    socket.on('close', () => this.#done(exchange));
    socket.on('error', () => this.#done(exchange));
    for (const item of exchange.early.splice(0)) this.#write(exchange, item);
  }

  #pipeUp(exchange: Exchange, source: IncomingMessage | Socket): void {
    source.on('data', (chunk: Buffer) => {
      this.#sendUp(exchange, chunk);
      if (exchange.unacked >= PORT_WINDOW_BYTES || this.#link.bufferedBytes > LINK_HIGH_WATER_BYTES) {
        source.pause();
        this.#resumeIfAllowed(exchange);
      }
    });
  }

  #sendUp(exchange: Exchange, chunk: Buffer): void {
    for (let at = 0; at < chunk.length; at += MAX_PORT_FRAME_BYTES) {
      const piece = chunk.subarray(at, at + MAX_PORT_FRAME_BYTES);
      exchange.unacked += piece.length;
      this.#link.sendBinary(encodePortFrame(exchange.id, piece));
    }
  }

  /** Resumes reading once the gateway credited enough and the link drained; polls the link only while paused. */
  #resumeIfAllowed(exchange: Exchange): void {
    const source = exchange.source;
    if (!source?.isPaused() || exchange.finished) return;
    if (exchange.unacked >= PORT_WINDOW_BYTES) return; // the next credit calls again
    if (this.#link.bufferedBytes <= LINK_HIGH_WATER_BYTES / 2) {
      source.resume();
      return;
    }
    setTimeout(() => this.#resumeIfAllowed(exchange), RESUME_CHECK_MS);
  }

  #done(exchange: Exchange): void {
    if (exchange.finished || !this.#exchanges.has(exchange.id)) return;
    exchange.finished = true;
    this.#exchanges.delete(exchange.id);
    this.#link.send({ type: 'port:done', exchangeId: exchange.id });
  }

  #failed(exchange: Exchange, error: NodeJS.ErrnoException): void {
    const where = `port ${exchange.port} on viber ${this.#viberId}`;
    if (error.code === 'ECONNREFUSED') this.#fail(exchange, 'closed', `nothing listens on ${where}`);
    else if (typeof error.code === 'string' && error.code.startsWith('HPE_'))
      this.#fail(exchange, 'not_http', `${where} did not answer HTTP (${error.message})`);
    else if (!exchange.answered && (error.code === 'ECONNRESET' || error.message === 'socket hang up'))
      this.#fail(exchange, 'not_http', `${where} closed the connection without an HTTP answer`);
    else this.#fail(exchange, 'error', `${where}: ${error.message}`);
  }

  #fail(exchange: Exchange, failure: PortFailure, message: string): void {
    clearTimeout(exchange.timer);
    const known = this.#exchanges.delete(exchange.id) || !exchange.finished;
    exchange.finished = true;
    exchange.req?.destroy();
    exchange.tunnel?.destroy();
    if (known) this.#link.send({ type: 'port:failed', exchangeId: exchange.id, failure, message });
    this.#log.info({ exchangeId: exchange.id, port: exchange.port, failure }, message);
  }

  #forget(exchange: Exchange): void {
    clearTimeout(exchange.timer);
    exchange.finished = true;
    this.#exchanges.delete(exchange.id);
    exchange.req?.destroy();
    exchange.tunnel?.destroy();
  }
}

/** Header pairs as node:http takes them: repeated names as arrays; Host names the service itself. */
function headerObject(headers: PortHeaderList, port: number): Record<string, string | string[]> {
  const object: Record<string, string | string[]> = {};
  for (const [name, value] of headers) {
    const key = name.toLowerCase();
    if (key === 'host') continue;
    const known = object[key];
    object[key] = known === undefined ? value : [...(Array.isArray(known) ? known : [known]), value];
  }
  // Development servers refuse unknown hosts (DNS rebinding defence): the service sees itself.
  object.host = `localhost:${port}`;
  return object;
}

function pairsOf(raw: string[]): PortHeaderList {
  const pairs: PortHeaderList = [];
  for (let at = 0; at + 1 < raw.length && pairs.length < 200; at += 2) pairs.push([raw[at]!, raw[at + 1]!]);
  return pairs;
}
