import { randomUUID } from 'node:crypto';
import {
  MAX_PORT_BODY_CHUNK_BYTES,
  PORT_WINDOW_BYTES,
  type PortFailure,
  type PortHeaderList,
} from '../../protocol/index.ts';
import type { PortToViber } from '../bus/gateway-topics.ts';

/** Response credit is sent in steps of this many bytes, not per chunk. */
const CREDIT_STEP_BYTES = 64 * 1024;

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

export interface PortExchangeOptions {
  viberId: string;
  /** The other gateway holding the viber's connection, when the exchange goes through it. */
  holder?: string;
  /** Sends a message of this exchange to the viber: over its connection here, or to the holder. */
  toViber(message: PortToViber): void;
  sink: ExchangeSink;
  release(exchange: PortExchange): void;
}

/**
 * One proxied request (or tunnel) on the client's gateway: request bytes out within a window the
 * viber's acknowledgements open, answer bytes in as the client takes them (credit). Through a
 * holder the same messages travel, so the window holds from the client's gateway to the viber.
 */
export class PortExchange {
  readonly id = randomUUID();
  readonly viberId: string;
  readonly holder: string | undefined;
  readonly sink: ExchangeSink;
  readonly #toViber: (message: PortToViber) => void;
  readonly #release: (exchange: PortExchange) => void;
  #inFlight = 0;
  #waiters: Array<() => void> = [];
  #uncredited = 0;
  #ended = false;

  constructor(options: PortExchangeOptions) {
    this.viberId = options.viberId;
    this.holder = options.holder;
    this.sink = options.sink;
    this.#toViber = options.toViber;
    this.#release = options.release;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Asks the viber to open the exchange. */
  request(request: ExchangeRequest, timeoutMs: number): void {
    this.#toViber({ type: 'port:request', exchangeId: this.id, ...request, timeoutMs });
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
      this.#toViber({ type: 'port:body', exchangeId: this.id, data });
    }
  }

  /** The request body is complete (a tunnel: the client closed its side). */
  end(): void {
    if (!this.#ended) this.#toViber({ type: 'port:end', exchangeId: this.id });
  }

  /** The client passed `bytes` of the answer on: the viber may send that many more. */
  credit(bytes: number): void {
    if (this.#ended) return;
    this.#uncredited += bytes;
    if (this.#uncredited < CREDIT_STEP_BYTES) return;
    this.#toViber({ type: 'port:credit', exchangeId: this.id, bytes: this.#uncredited });
    this.#uncredited = 0;
  }

  /** The client went away: the viber drops the request. */
  cancel(): void {
    if (this.#ended) return;
    this.#toViber({ type: 'port:cancel', exchangeId: this.id });
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
