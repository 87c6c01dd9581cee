import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import { Backoff, type BackoffOptions } from '../client/backoff.ts';
import {
  HandshakeRefusedError,
  type HandshakeSocket,
  isHandshakeFrame,
  performHandshake,
} from '../client/connect-handshake.ts';
import type { DeviceIdentity } from '../client/device-identity.ts';
import { OpenViberError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { isUntrustedIssuer } from '../core/tls-errors.ts';
import {
  type ConnectOk,
  type ConnectPairing,
  type ConnectRefusalCode,
  type DaemonMessage,
  type DaemonMetrics,
  DEFAULT_TIMINGS,
  decodeFrame,
  errorBodyMessage,
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
/** The protocol extensions this daemon speaks beyond the protocol document (device.ts). */
const EXTENSIONS = ['seq', 'command-ack', 'terminal-binary'];

/**
 * Refusals of the connect handshake that no retry can cure: the credentials, the key or the
 * operator's decision must change first. The others (a lapsed pairing request, a lost socket,
 * a nonce or clock hiccup) are retried with the backoff; rate_limited waits as long as it says.
 */
const FATAL_REFUSALS: ReadonlySet<string> = new Set<ConnectRefusalCode>([
  'unauthorized',
  'revoked',
  'pairing_rejected',
  'scope_denied',
  'bad_signature',
  'unknown_device',
  'protocol_mismatch',
  'pairing_code_invalid',
  'bad_handshake',
  'payload_too_large',
]);

export interface ViberControllerOptions {
  /**
   * The gateway's WebSocket URL, or several separated by commas (gateways sharing one store,
   * docs/deploy.md): each reconnect after a failed or lost connection tries the next one.
   */
  serverUrl: string;
  viberId: string;
  /**
   * The device token sent in the connect frame: a viber token from `viber vibers add`, or the
   * token this device collected when it was paired (`viber login`). Absent: ask to be paired.
   */
  token?: string;
  /** The device key that signs the connect handshake (`<home>/daemon/device.json`). */
  identity: DeviceIdentity;
  /** Shown to the operator while this device waits to be paired. */
  name?: string;
  version: string;
  /**
   * The gateway issued this device a new token (its first connect after approval, or after a
   * rotation). Called before anything else happens on the connection: persist it now, it is the
   * only copy. The controller uses it from then on.
   */
  onDeviceToken?: (token: string) => void;
  heartbeatIntervalMs?: number;
  reconnect?: BackoffOptions;
  logger: Logger;
  /** ViberInfo for `connected`, built at each (re)connect. */
  getInfo(): ViberInfo;
  getStatus(): ViberStatus;
  /** The daemon's own counters, sent in each heartbeat (absent: heartbeats carry none). */
  getMetrics?(): DaemonMetrics;
}

export type ControllerState =
  | 'idle'
  | 'connecting'
  /** The socket is open; the connect handshake runs (or waits for an operator to pair this device). */
  | 'handshaking'
  | 'open'
  | 'waiting'
  | 'fatal'
  | 'closed';

/** A fatal refusal; `refusal` is the handshake's code when the handshake refused. */
export class GatewayRefusedError extends OpenViberError {
  readonly refusal: ConnectRefusalCode | undefined;
  constructor(
    code: ConstructorParameters<typeof OpenViberError>[0],
    message: string,
    status: number,
    refusal?: ConnectRefusalCode,
  ) {
    super(code, message, status);
    this.refusal = refusal;
  }
}

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
  /** This device is new to the gateway: an operator must approve it (`code` tells it apart). */
  pairing: [pairing: ConnectPairing];
  /** The gateway issued a new device token (already handed to `onDeviceToken`). */
  token: [token: string];
  /** Every valid gateway message the controller does not handle itself (welcome, ping, error). */
  message: [GatewayMessage];
}

/**
 * The daemon's connection to the gateway (daemon document, ViberController): dials out, proves
 * its device key in the connect handshake (device.ts) with its token, announces itself, keeps
 * the heartbeat, answers pings, and reconnects with jittered exponential backoff until it is
 * closed or the gateway refuses the credentials.
 */
export class ViberController extends EventEmitter<ViberControllerEvents> {
  readonly #options: ViberControllerOptions;
  readonly #urls: readonly string[];
  #urlIndex = 0;
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
  /** The last error of the current socket (a certificate not trusted, ECONNREFUSED, ...). */
  #socketError: (Error & { code?: unknown }) | undefined;
  /** The token of the next handshake: the configured one until the gateway issues a new one. */
  #token: string | undefined;
  /**
   * Frames that came right behind connect.ok, before its handling (a promise) ran: handled in
   * order once the connection is open.
   */
  #early: Array<{ data: Buffer; isBinary: boolean }> = [];
  /** The extensions the gateway agreed to in this connection's handshake. */
  #extensions: readonly string[] = [];

  constructor(options: ViberControllerOptions) {
    super();
    this.#options = options;
    this.#urls = gatewayUrls(options.serverUrl);
    this.#logger = options.logger;
    this.#backoff = new Backoff(options.reconnect);
    this.#token = options.token;
    // The protocol's floor (100 ms): a zero interval would be a busy loop.
    this.#heartbeatIntervalMs = Math.max(
      100,
      options.heartbeatIntervalMs ?? DEFAULT_TIMINGS.heartbeatIntervalMs,
    );
  }

  get state(): ControllerState {
    return this.#state;
  }

  /** The gateway URL this daemon is connected to, or tries next. */
  get url(): string {
    return this.#urls[this.#urlIndex % this.#urls.length]!;
  }

  #nextUrl(): void {
    if (this.#urls.length > 1) this.#urlIndex = (this.#urlIndex + 1) % this.#urls.length;
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

  /** The device token in use (a newly issued one replaces the configured one). */
  get token(): string | undefined {
    return this.#token;
  }

  start(): void {
    if (this.#state !== 'idle') return;
    this.#connect();
  }

  send(message: DaemonMessage): boolean {
    return this.sendFrame(JSON.stringify(message));
  }

  /** A heartbeat now, between the regular ones: the gateway learns of a health change at once. */
  reportStatus(): boolean {
    return this.send(this.#heartbeat());
  }

  #heartbeat(): DaemonMessage {
    const metrics = this.#options.getMetrics?.();
    return { type: 'heartbeat', status: this.#options.getStatus(), ...(metrics ? { metrics } : {}) };
  }

  /** Sends an already serialised message; false when there is no open connection. */
  sendFrame(frame: string): boolean {
    if (!this.isOpen) return false;
    this.#socket!.send(frame);
    return true;
  }

  /**
   * Sends already serialised messages in order, as one socket write where the socket allows it
   * (each frame is still its own WebSocket message); false when there is no open connection.
   */
  sendFrames(frames: readonly string[]): boolean {
    if (!this.isOpen) return false;
    const socket = this.#socket!;
    if (frames.length === 1) {
      socket.send(frames[0]!);
      return true;
    }
    // `ws` writes each message to its TCP socket on its own; corked, they leave in one writev.
    const tcp = (socket as unknown as { _socket?: { cork?(): void; uncork?(): void } })._socket;
    tcp?.cork?.();
    try {
      for (const frame of frames) socket.send(frame);
    } finally {
      tcp?.uncork?.();
    }
    return true;
  }

  /** Whether the current connection negotiated `extension` (device.ts ProtocolExtensionSchema). */
  negotiated(extension: string): boolean {
    return this.isOpen && this.#extensions.includes(extension);
  }

  /** Sends a binary frame (terminal output, once `terminal-binary` is negotiated); false when closed. */
  sendBinary(frame: Uint8Array): boolean {
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
    this.#socketError = undefined;
    this.#early = [];
    const { version } = this.#options;
    const serverUrl = this.url;
    let socket: WebSocket;
    try {
      // No credentials on the upgrade: the device key and token go in the connect handshake.
      socket = new WebSocket(serverUrl, {
        headers: { 'X-Viber-Version': version },
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
    // The gateway pings a socket that waits for an operator: proof the link is alive meanwhile.
    socket.on('ping', () => {
      this.#lastInboundAt = Date.now();
    });
    socket.on('unexpected-response', (_request, response) => this.#onRefused(socket, response));
    socket.on('error', (error) => {
      if (socket === this.#socket) this.#socketError = error;
      this.#logger.debug({ err: error }, 'gateway socket error');
    });
    socket.on('close', (code, reason) => this.#onClose(socket, code, reason.toString('utf8')));
  }

  /** The socket is open: the gateway speaks first (connect.challenge); answer it with the key. */
  #onOpen(socket: WebSocket): void {
    if (socket !== this.#socket) return;
    this.#state = 'handshaking';
    this.#lastInboundAt = Date.now();
    // While an operator decides there is no heartbeat; a link that went silent (the gateway pings
    // a waiting socket every 30 s) is given up, and the handshake retried.
    clearInterval(this.#heartbeatTimer);
    this.#heartbeatTimer = setInterval(() => {
      if (socket !== this.#socket || this.#state !== 'handshaking') return;
      if (Date.now() - this.#lastInboundAt > PAIRING_SILENCE_MS) socket.terminate();
    }, PAIRING_SILENCE_MS / 4);
    const { identity, viberId, version, name } = this.#options;
    const token = this.#token;
    // `ws` has the runtime WebSocket's addEventListener/removeEventListener the handshake uses.
    performHandshake(socket as unknown as HandshakeSocket, {
      identity,
      ask: {
        role: 'node',
        ...(token ? { token } : {}),
        viberId,
        ...(name ? { name } : {}),
        extensions: EXTENSIONS,
        client: { name: 'openviber-daemon', version },
      },
      timeoutMs: HANDSHAKE_TIMEOUT_MS,
      onPairing: (pairing) => {
        if (socket !== this.#socket) return;
        this.#logger.warn(
          { deviceId: pairing.deviceId, code: pairing.code, expiresAt: pairing.expiresAt },
          `waiting for an operator to approve this machine: code ${pairing.code}`,
        );
        this.#notify('pairing', pairing);
      },
    }).then(
      (ok) => this.#onConnectOk(socket, ok),
      (error: unknown) => this.#onHandshakeFailed(socket, error),
    );
  }

  /** The handshake succeeded: keep a new token, then announce this viber and start the heartbeat. */
  #onConnectOk(socket: WebSocket, ok: ConnectOk): void {
    if (socket !== this.#socket || this.#state !== 'handshaking') return;
    if (ok.deviceToken) {
      this.#token = ok.deviceToken;
      try {
        this.#options.onDeviceToken?.(ok.deviceToken);
      } catch (error) {
        this.#logger.error(
          { err: error },
          'could not save the new device token: this daemon will need pairing again after a restart',
        );
      }
      this.#logger.info({ deviceId: ok.deviceId }, 'the gateway issued this device a new token; saved');
      this.#notify('token', ok.deviceToken);
    }
    if (ok.viberId !== undefined && ok.viberId !== this.#options.viberId) {
      const why = `this device runs viber ${ok.viberId} on the gateway, not ${this.#options.viberId}`;
      socket.close(WS_CLOSE.normal, 'wrong viber id');
      this.#fail(why, new GatewayRefusedError('forbidden', `gateway refused the connection: ${why}`, 403));
      return;
    }
    this.#state = 'open';
    this.#extensions = ok.extensions;
    this.#lastInboundAt = Date.now();
    this.send({ type: 'connected', viber: this.#options.getInfo() });
    this.#startHeartbeat();
    this.#logger.info(
      { serverUrl: this.url, deviceId: ok.deviceId, extensions: ok.extensions },
      'connected to gateway',
    );
    this.#notify('connected');
    for (const frame of this.#early.splice(0)) {
      if (socket !== this.#socket || this.#state !== 'open') break;
      this.#onMessage(frame.data, frame.isBinary);
    }
  }

  /** The handshake failed: fatal for a refusal no retry cures, else retried (see FATAL_REFUSALS). */
  #onHandshakeFailed(socket: WebSocket, error: unknown): void {
    if (socket !== this.#socket || this.#state !== 'handshaking') return;
    this.#socket = undefined;
    clearInterval(this.#heartbeatTimer);
    if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) {
      socket.terminate();
    }
    const refused = error instanceof HandshakeRefusedError ? error : undefined;
    const code = refused?.code ?? 'closed';
    const message = refused?.message ?? (error as Error).message;
    if (refused && FATAL_REFUSALS.has(refused.code)) {
      const reason = `${message} (${refused.code})`;
      const forbidden = refused.code === 'scope_denied';
      this.#fail(
        reason,
        new GatewayRefusedError(
          forbidden ? 'forbidden' : 'unauthorized',
          `gateway refused the connection: ${reason}`,
          forbidden ? 403 : 401,
          refused.code as ConnectRefusalCode,
        ),
      );
      return;
    }
    const delay =
      code === 'rate_limited' && refused?.retryAfterMs ? refused.retryAfterMs : this.#backoff.next();
    this.#logger.warn(
      { code, reason: message, retryInMs: delay, ...describeSocketError(this.#socketError) },
      'the gateway did not accept the handshake; retrying',
    );
    this.#state = 'waiting';
    this.#nextUrl();
    this.#reconnectTimer = setTimeout(() => this.#connect(), delay);
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
      this.#refusal = { code: status, reason: errorBodyMessage(body, 500) || response.statusMessage || '' };
      socket.terminate();
    };
    response.once('end', finish);
    response.once('error', finish);
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    this.#lastInboundAt = Date.now();
    if (this.#state === 'handshaking') {
      // The handshake's frames are performHandshake's. Anything else follows connect.ok, maybe
      // in the same read, before the handshake's promise settled: kept for when it has.
      if (!isBinary && isHandshakeFrame(parseQuietly(data))) return;
      if (this.#early.length < MAX_EARLY_FRAMES) this.#early.push({ data, isBinary });
      else this.#logger.warn('too many frames before the handshake finished; dropping one');
      return;
    }
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
    this.send(this.#heartbeat());
    socket.ping();
  }

  #onClose(socket: WebSocket, code: number, reason: string): void {
    if (socket !== this.#socket) return;
    // A socket that closes mid-handshake fails the handshake, which decides what follows.
    if (this.#state === 'handshaking') return;
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
    if (code === WS_CLOSE.unauthorized && /\brotated\b/.test(reason)) {
      // The operator rotated this device's token: the next handshake collects the new one (a
      // keyless viber token cannot be collected, and that handshake then says so).
      this.#logger.warn(
        { code, reason },
        'the device token was rotated; reconnecting to collect the new one',
      );
      this.#notify('disconnected', reason, { code, reason });
      this.#state = 'waiting';
      this.#reconnectTimer = setTimeout(() => this.#connect(), 0);
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
        { code: info.code, reason: info.reason, retryInMs: delay, ...describeSocketError(this.#socketError) },
        'could not connect to gateway',
      );
    }
    this.#state = 'waiting';
    this.#nextUrl();
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
    const error = new GatewayRefusedError(
      unauthorized ? 'unauthorized' : 'forbidden',
      `gateway refused the connection: ${reason}`,
      unauthorized ? 401 : 403,
      /\brevoked\b/.test(serverReason) ? 'revoked' : undefined,
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

/** A socket waiting for an operator that hears nothing (not even a ping) for this long is dead. */
const PAIRING_SILENCE_MS = 100_000;

/** Frames kept while connect.ok is being handled (a gateway sends only what it queued for us). */
const MAX_EARLY_FRAMES = 10_000;

/** The JSON value of a frame, or undefined. */
function parseQuietly(data: Buffer): unknown {
  try {
    return JSON.parse(data.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** Why a connection attempt failed, for the log: a TLS refusal says how to trust the gateway. */
function describeSocketError(error: (Error & { code?: unknown }) | undefined): Record<string, string> {
  if (!error) return {};
  const code = typeof error.code === 'string' ? error.code : undefined;
  return {
    error: error.message,
    ...(code ? { errorCode: code } : {}),
    ...(isUntrustedIssuer(code)
      ? {
          hint: "the gateway's TLS certificate is signed by a CA this daemon does not trust: give that CA with --ca FILE or OPENVIBER_CA_FILE",
        }
      : {}),
  };
}

/** The URLs of `--server`: one, or several separated by commas. */
export function gatewayUrls(serverUrl: string): string[] {
  const urls = serverUrl
    .split(',')
    .map((url) => url.trim())
    .filter(Boolean);
  return urls.length > 0 ? urls : [serverUrl];
}
