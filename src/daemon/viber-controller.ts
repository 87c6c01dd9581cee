import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import { Backoff, type BackoffOptions } from '../client/backoff.ts';
import { OpenViberError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import {
  type DaemonMessage,
  DEFAULT_TIMINGS,
  decodeFrame,
  type GatewayMessage,
  GatewayMessageSchema,
  LIMITS,
  type ViberInfo,
  type ViberStatus,
  WS_CLOSE,
} from '../protocol/index.ts';

/** Gateway frames larger than this are refused (a task:submit carries at most a long goal and history). */
export const MAX_INBOUND_FRAME_BYTES = 64 * 1024 * 1024;
/** A connection with no inbound traffic (frames or WebSocket pongs) for this long is dead. */
const MIN_DEAD_CONNECTION_MS = 10_000;
const HANDSHAKE_TIMEOUT_MS = 15_000;

export interface ViberControllerOptions {
  serverUrl: string;
  viberId: string;
  token: string;
  version: string;
  heartbeatIntervalMs?: number;
  reconnect?: BackoffOptions;
  logger: Logger;
  /** ViberInfo for `connected`, built at each (re)connect. */
  getInfo(): ViberInfo;
  getStatus(): ViberStatus;
}

export type ControllerState = 'idle' | 'connecting' | 'open' | 'waiting' | 'fatal' | 'closed';

export interface DisconnectInfo {
  code: number;
  reason: string;
}

export interface ViberControllerEvents {
  /** `connected` was sent on a new socket; listeners may send right away (the outbox replay). */
  connected: [];
  /** The connection dropped; a reconnect is scheduled. */
  disconnected: [reason: string, info: DisconnectInfo];
  /** The gateway refused this viber (bad token, wrong viber id): no more reconnects. The reason is
   * the server's, ready for a CLI message; the error carries a stable code. */
  fatal: [reason: string, error: OpenViberError];
  /** Every valid gateway message the controller does not handle itself (welcome, ping, error). */
  message: [GatewayMessage];
}

/**
 * The daemon's connection to the gateway (daemon document, ViberController): dials out with the
 * viber's credentials, announces itself, keeps the heartbeat, answers pings, and reconnects with
 * jittered exponential backoff until it is closed or the gateway refuses the credentials.
 */
export class ViberController extends EventEmitter<ViberControllerEvents> {
  readonly #options: ViberControllerOptions;
  readonly #logger: Logger;
  readonly #backoff: Backoff;
  #state: ControllerState = 'idle';
  #socket: WebSocket | undefined;
  #heartbeatTimer: NodeJS.Timeout | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #heartbeatIntervalMs: number;
  #maxFrameBytes: number = LIMITS.maxFrameBytes;
  #lastInboundAt = 0;
  /** HTTP status and body when the gateway refused the upgrade itself. */
  #refusal: DisconnectInfo | undefined;

  constructor(options: ViberControllerOptions) {
    super();
    this.#options = options;
    this.#logger = options.logger;
    this.#backoff = new Backoff(options.reconnect);
    // The protocol's floor (100 ms): a zero interval would be a busy loop.
    this.#heartbeatIntervalMs = Math.max(
      100,
      options.heartbeatIntervalMs ?? DEFAULT_TIMINGS.heartbeatIntervalMs,
    );
  }

  get state(): ControllerState {
    return this.#state;
  }

  get isOpen(): boolean {
    return this.#state === 'open' && this.#socket?.readyState === WebSocket.OPEN;
  }

  /** Bytes queued on the socket and not yet sent: how far the gateway link is behind. */
  get bufferedBytes(): number {
    return this.#socket?.bufferedAmount ?? 0;
  }

  /** The largest frame the gateway accepts (announced in `welcome`). */
  get maxFrameBytes(): number {
    return this.#maxFrameBytes;
  }

  get heartbeatIntervalMs(): number {
    return this.#heartbeatIntervalMs;
  }

  start(): void {
    if (this.#state !== 'idle') return;
    this.#connect();
  }

  send(message: DaemonMessage): boolean {
    return this.sendFrame(JSON.stringify(message));
  }

  /** Sends an already serialised message; false when there is no open connection. */
  sendFrame(frame: string): boolean {
    if (!this.isOpen) return false;
    this.#socket!.send(frame);
    return true;
  }

  /** Closes the connection and every timer; no reconnect follows. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    const wasFatal = this.#state === 'fatal';
    this.#state = 'closed';
    this.#clearTimers();
    const socket = this.#socket;
    this.#socket = undefined;
    if (!socket || socket.readyState === WebSocket.CLOSED || wasFatal) return;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      if (socket.readyState === WebSocket.CONNECTING) socket.terminate();
      else socket.close(WS_CLOSE.normal, 'daemon shutting down');
      // A peer that never answers the close handshake must not hold the shutdown.
      setTimeout(() => socket.terminate(), 2_000).unref();
    });
  }

  #connect(): void {
    this.#state = 'connecting';
    this.#refusal = undefined;
    const { serverUrl, token, viberId, version } = this.#options;
    let socket: WebSocket;
    try {
      socket = new WebSocket(serverUrl, {
        headers: { Authorization: `Bearer ${token}`, 'X-Viber-Id': viberId, 'X-Viber-Version': version },
        handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
        maxPayload: MAX_INBOUND_FRAME_BYTES * 2,
      });
    } catch (error) {
      // An unparseable URL can never work: as fatal as a refused token.
      const reason = `invalid gateway URL "${serverUrl}": ${(error as Error).message}`;
      this.#fail(reason, new OpenViberError('bad_request', reason));
      return;
    }
    this.#socket = socket;
    socket.on('open', () => this.#onOpen(socket));
    socket.on('message', (data, isBinary) => this.#onMessage(data as Buffer, isBinary));
    socket.on('pong', () => {
      this.#lastInboundAt = Date.now();
    });
    socket.on('unexpected-response', (_request, response) => this.#onRefused(socket, response));
    socket.on('error', (error) => this.#logger.debug({ err: error }, 'gateway socket error'));
    socket.on('close', (code, reason) => this.#onClose(socket, code, reason.toString('utf8')));
  }

  #onOpen(socket: WebSocket): void {
    if (socket !== this.#socket) return;
    this.#state = 'open';
    this.#lastInboundAt = Date.now();
    this.send({ type: 'connected', viber: this.#options.getInfo() });
    this.#startHeartbeat();
    this.#logger.info({ serverUrl: this.#options.serverUrl }, 'connected to gateway');
    this.#notify('connected');
  }

  /** The gateway answered the upgrade with a plain HTTP response (401, 403, 404, ...). */
  #onRefused(socket: WebSocket, response: IncomingMessage): void {
    const status = response.statusCode ?? 0;
    let body = '';
    response.setEncoding('utf8');
    response.on('data', (text: string) => {
      if (body.length < 2000) body += text;
    });
    const finish = () => {
      this.#refusal = { code: status, reason: describeRefusal(body) || response.statusMessage || '' };
      socket.terminate();
    };
    response.once('end', finish);
    response.once('error', finish);
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    this.#lastInboundAt = Date.now();
    if (isBinary) {
      this.send({ type: 'error', code: 'bad_request', message: 'binary frames are not supported' });
      return;
    }
    const decoded = decodeFrame(GatewayMessageSchema, data.toString('utf8'), MAX_INBOUND_FRAME_BYTES);
    if (!decoded.ok) {
      this.#logger.warn({ code: decoded.code, reason: decoded.message }, 'bad frame from gateway');
      this.send({ type: 'error', code: decoded.code, message: decoded.message });
      return;
    }
    const message = decoded.value;
    switch (message.type) {
      case 'welcome':
        this.#onWelcome(message);
        return;
      case 'ping':
        this.send({ type: 'pong' });
        return;
      case 'error':
        // Never answered: two peers trading errors would loop. A refused task event needs nothing
        // either: the gateway stores an error event in its place and acknowledges its seq.
        this.#logger.warn(
          { code: message.code, reason: message.message, taskId: message.taskId },
          'gateway reported an error',
        );
        return;
    }
    try {
      this.emit('message', message);
    } catch (error) {
      this.#logger.error({ err: error, type: message.type }, 'handling a gateway message failed');
      this.send({ type: 'error', code: 'internal', message: `handling ${message.type} failed` });
    }
  }

  #onWelcome(message: Extract<GatewayMessage, { type: 'welcome' }>): void {
    if (message.viberId !== this.#options.viberId) {
      this.#logger.warn({ welcomedAs: message.viberId }, 'gateway welcomed a different viber id');
    }
    this.#heartbeatIntervalMs = message.heartbeatIntervalMs;
    this.#maxFrameBytes = message.maxFrameBytes;
    // Only a welcome proves the gateway accepted us; a server that accepts then drops keeps backing off.
    this.#backoff.reset();
    this.#startHeartbeat();
    this.#logger.debug(
      { protocolVersion: message.protocolVersion, heartbeatIntervalMs: message.heartbeatIntervalMs },
      'welcomed by gateway',
    );
  }

  #startHeartbeat(): void {
    clearInterval(this.#heartbeatTimer);
    this.#heartbeatTimer = setInterval(() => this.#beat(), this.#heartbeatIntervalMs);
  }

  #beat(): void {
    const socket = this.#socket;
    if (!socket || !this.isOpen) return;
    const silentFor = Date.now() - this.#lastInboundAt;
    if (silentFor > Math.max(3 * this.#heartbeatIntervalMs, MIN_DEAD_CONNECTION_MS)) {
      // A half-open TCP connection never reports an error; give up on it and reconnect.
      this.#logger.warn({ silentForMs: silentFor }, 'gateway silent; dropping the connection');
      socket.terminate();
      return;
    }
    this.send({ type: 'heartbeat', status: this.#options.getStatus() });
    socket.ping();
  }

  #onClose(socket: WebSocket, code: number, reason: string): void {
    if (socket !== this.#socket) return;
    this.#socket = undefined;
    clearInterval(this.#heartbeatTimer);
    if (this.#state === 'closed' || this.#state === 'fatal') return;
    const wasOpen = this.#state === 'open';
    const refusal = this.#refusal;
    if (code === WS_CLOSE.replaced) {
      // This daemon opens a socket only after its previous one closed, so a replacement of the
      // current socket means another process holds this viber's identity; dueling would loop.
      const why = `${reason || 'replaced by a newer connection'} (close code ${code}): another daemon is connected as this viber`;
      this.#fail(why, new OpenViberError('conflict', `gateway closed the connection: ${why}`, 409));
      return;
    }
    if (code === WS_CLOSE.unauthorized || code === WS_CLOSE.forbidden) {
      this.#refuse(code, reason, `close code ${code}`);
      return;
    }
    if (refusal && (refusal.code === 401 || refusal.code === 403)) {
      this.#refuse(
        refusal.code === 401 ? WS_CLOSE.unauthorized : WS_CLOSE.forbidden,
        refusal.reason,
        `HTTP ${refusal.code}`,
      );
      return;
    }
    const delay = this.#backoff.next();
    const info = refusal ?? { code, reason };
    if (wasOpen) {
      this.#logger.warn(
        { code: info.code, reason: info.reason, retryInMs: delay },
        'disconnected from gateway',
      );
      this.#notify('disconnected', info.reason || `connection lost (${info.code})`, info);
    } else {
      this.#logger.warn(
        { code: info.code, reason: info.reason, retryInMs: delay },
        'could not connect to gateway',
      );
    }
    this.#state = 'waiting';
    this.#reconnectTimer = setTimeout(() => this.#connect(), delay);
  }

  #fail(reason: string, error: OpenViberError): void {
    this.#state = 'fatal';
    this.#clearTimers();
    this.#logger.error({ code: error.code, reason }, 'gateway refused this viber; not reconnecting');
    this.#notify('fatal', reason, error);
  }

  /** A 4401/4403 close (or a 401/403 answer to the upgrade): the credentials will not get better. */
  #refuse(code: number, serverReason: string, how: string): void {
    const unauthorized = code === WS_CLOSE.unauthorized;
    const fallback = unauthorized
      ? 'the viber token was refused'
      : 'this token may not speak for this viber id';
    const reason = `${serverReason || fallback} (${how})`;
    const error = new OpenViberError(
      unauthorized ? 'unauthorized' : 'forbidden',
      `gateway refused the connection: ${reason}`,
      unauthorized ? 401 : 403,
    );
    this.#fail(reason, error);
  }

  /** A listener's bug must not throw into the socket's event handlers and take the daemon down. */
  #notify<K extends keyof ViberControllerEvents>(event: K, ...args: ViberControllerEvents[K]): void {
    try {
      (this.emit as (event: K, ...args: ViberControllerEvents[K]) => boolean)(event, ...args);
    } catch (error) {
      this.#logger.error({ err: error, event }, 'a daemon event listener failed');
    }
  }

  #clearTimers(): void {
    clearInterval(this.#heartbeatTimer);
    clearTimeout(this.#reconnectTimer);
    this.#heartbeatTimer = undefined;
    this.#reconnectTimer = undefined;
  }
}

/** The message of a `{error:{code,message}}` body, else the body text itself. */
function describeRefusal(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } };
    if (typeof parsed.error?.message === 'string') return parsed.error.message.slice(0, 500);
  } catch {
    // Not JSON: use the text.
  }
  return body.trim().slice(0, 500);
}
