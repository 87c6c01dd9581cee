import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket, { type RawData, WebSocketServer } from 'ws';
import type { Logger } from '../../core/logger.ts';
import {
  type BoardEvent,
  type ConnectRefusalCode,
  decodeFrame,
  ErrorBodySchema,
  type ErrorCode,
  fillPath,
  LIMITS,
  type OperatorEventFrame,
  type OperatorRequest,
  OperatorRequestSchema,
  type OperatorResponse,
  pathParamNames,
  REST_ROUTES,
  ROUTE_NAMES,
  type RouteName,
  routeOf,
  WS_CLOSE,
} from '../../protocol/index.ts';
import type { DeviceSockets } from '../auth/device-sockets.ts';
import type { ConnectionSource, DeviceService } from '../auth/devices.ts';
import type { GatewayAuth } from '../auth/gateway-auth.ts';
import { allows, type Principal } from '../auth/principal.ts';
import type { BoardEvents } from '../board/board-events.ts';
import { BOARD_EVENTS, CHANGES } from '../bus/gateway-topics.ts';
import type { TopicBus } from '../bus/topic-bus.ts';
import { operatorSocketEnv } from '../http/request-auth.ts';
import { authenticateTerminalUpgrade } from '../terminals/terminal-access.ts';
import { truncateReason } from '../vibers/viber-connection.ts';
import { connectionSource, runConnectHandshake } from './connect-handshake.ts';
import { SocketPinger } from './socket-pinger.ts';

/** The operator socket's path, from the route table. */
export const OPERATOR_SOCKET_PATH = REST_ROUTES['operator.socket'].path;
/** A `req` frame is at most a REST body with room for its envelope. */
export const MAX_OPERATOR_FRAME_BYTES = LIMITS.maxBodyBytes + 16 * 1024;
/** Frames up to this are read so that one over MAX_OPERATOR_FRAME_BYTES is refused alone; larger closes (1009). */
const MAX_READ_BYTES = LIMITS.maxFrameBytes;
/** Requests one socket may have running at once; more are answered `rate_limited`. */
export const MAX_IN_FLIGHT = 32;
const PING_INTERVAL_MS = 30_000;
/**
 * Bytes an operator socket may have queued and unsent before it is closed as too slow: pushing
 * more would buffer without bound, skipping would leave a gap the client cannot see.
 */
export const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
/** Events that arrive before `events.ready` (while the activities are read) wait; more is too slow. */
const MAX_EARLY_EVENTS = 1000;
/** "Try again later": the client fell behind the events; it reconnects and refetches. */
export const TOO_SLOW_CLOSE = 1013;
/** In-process requests need a URL; no request ever goes there. */
const IN_PROCESS_ORIGIN = 'http://operator-socket.invalid';

export interface OperatorSocketOptions {
  /** The gateway's Hono app: each request runs through it, under every REST rule. */
  app: { fetch(request: Request, env: object): Response | Promise<Response> };
  auth: GatewayAuth;
  devices: DeviceService;
  deviceSockets: DeviceSockets;
  bus: TopicBus;
  boardEvents: Pick<BoardEvents, 'activities'>;
  log: Logger;
  /** Default 30 s: every socket is pinged this often and closed when a pong did not come back. */
  pingIntervalMs?: number;
  /** Default MAX_BUFFERED_BYTES. */
  maxBufferedBytes?: number;
}

/** One accepted operator socket. */
interface Connection {
  ws: WebSocket;
  principal: Principal;
  source: ConnectionSource;
  /** The seq of the last event frame sent; the next is one more. */
  seq: number;
  inFlight: number;
  unsubscribe: (() => void) | undefined;
}

type Failure = { status: number; code: ErrorCode; message: string };

/**
 * The operator WebSocket at /api/ws (src/protocol/operator-socket.ts): the connect handshake (an
 * upgrade may also carry the board's session cookie, from the gateway's own origin, or a bearer
 * token, which the signing device must then be), then `req` frames, each answered by one `res`
 * with its id, and push-only board events. A request runs the JSON route it names through the
 * gateway's app in-process, so scopes, validation, idempotency and error bodies are the REST API's
 * own. Events need tasks.read; they carry a seq that counts only frames sent, and a socket that
 * falls behind is closed, never given a gap.
 */
export class OperatorSocketServer {
  readonly path = OPERATOR_SOCKET_PATH;
  readonly #options: OperatorSocketOptions;
  readonly #wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_READ_BYTES,
    perMessageDeflate: false,
    clientTracking: true,
  });
  readonly #connections = new Set<Connection>();
  readonly #running = new Set<Promise<void>>();
  readonly #pinger: SocketPinger;
  readonly #maxBufferedBytes: number;
  #closing = false;

  constructor(options: OperatorSocketOptions) {
    this.#options = options;

    this.#maxBufferedBytes = options.maxBufferedBytes ?? MAX_BUFFERED_BYTES;
    this.#pinger = new SocketPinger(options.pingIntervalMs ?? PING_INTERVAL_MS, (ws) =>
      this.#options.log.info({ deviceId: this.#principalOf(ws) }, 'operator socket missed a pong'),
    );
  }

  /** True when this upgrade is for the operator socket. */
  matches(request: IncomingMessage): boolean {
    return (request.url ?? '/').split('?')[0] === this.path;
  }

  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    if (this.#closing) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const source = connectionSource(request);
    authenticateTerminalUpgrade(this.#options.auth, request, source)
      .then((upgrade) => {
        this.#wss.handleUpgrade(request, socket, head, (ws) => {
          ws.on('error', (error) => this.#options.log.debug({ err: error }, 'operator socket error'));
          if (this.#closing) return ws.close(WS_CLOSE.goingAway, 'gateway shutting down');
          if (upgrade && !upgrade.ok) {
            const code: ConnectRefusalCode =
              upgrade.code === 'rate_limited' ? 'rate_limited' : 'unauthorized';
            const message =
              upgrade.status === 403
                ? 'cross-origin operator socket refused: use the board or a bearer token'
                : upgrade.message;
            this.#options.log.warn({ code, source: source.address }, `operator socket refused: ${message}`);
            ws.send(
              JSON.stringify({
                type: 'connect.refused',
                code,
                message,
                ...(upgrade.retryAfterMs ? { retryAfterMs: upgrade.retryAfterMs } : {}),
              }),
            );
            ws.close(WS_CLOSE.unauthorized, truncateReason(`${code}: ${message}`));
            return;
          }
          this.#handshake(ws, source, upgrade?.principal);
        });
      })
      .catch((error: unknown) => {
        this.#options.log.error({ err: error }, 'operator socket authentication failed');
        socket.end('HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      });
  }

  #handshake(ws: WebSocket, source: ConnectionSource, upgraded?: Principal): void {
    const { devices, log } = this.#options;
    runConnectHandshake(ws, { devices, role: 'operator', source, log, ...(upgraded ? { upgraded } : {}) })
      .then((connected) => {
        if (!connected) return;
        if (this.#closing) return ws.close(WS_CLOSE.goingAway, 'gateway shutting down');
        this.#accept(ws, connected.principal, source, upgraded);
      })
      .catch((error: unknown) => {
        log.error({ err: error }, 'operator handshake failed');
        ws.terminate();
      });
  }

  #accept(ws: WebSocket, principal: Principal, source: ConnectionSource, upgraded?: Principal): void {
    const connection: Connection = {
      ws,
      principal,
      source,
      seq: 0,
      inFlight: 0,
      unsubscribe: undefined,
    };
    this.#connections.add(connection);
    const forget = this.#options.deviceSockets.add(principal.deviceId, ws);
    // A socket opened on a board session lasts no longer than the session.
    const expiry = sessionExpiry(upgraded);
    const expires =
      expiry === undefined
        ? undefined
        : setTimeout(
            () => ws.close(WS_CLOSE.unauthorized, 'the board session expired: sign in again'),
            expiry,
          );
    expires?.unref();
    this.#pinger.watch(ws);
    ws.on('message', (data, isBinary) => this.#onFrame(connection, data, isBinary));
    ws.once('close', (code) => {
      clearTimeout(expires);
      forget();
      connection.unsubscribe?.();
      this.#connections.delete(connection);
      this.#options.log.debug({ deviceId: principal.deviceId, code }, 'operator socket closed');
    });
    this.#options.log.info(
      { deviceId: principal.deviceId, scopes: [...principal.scopes], source: source.address },
      'operator socket connected',
    );
    if (allows(principal, 'tasks.read')) this.#subscribe(connection);
  }

  // ---- events ----

  /**
   * Board events, as /api/events has them: subscribed first, then `events.ready` (with what each
   * running task is doing) as the first frame, so the client refetches with nothing missed.
   */
  #subscribe(connection: Connection): void {
    const early: BoardEvent[] = [];
    let ready = false;
    const stopEvents = this.#options.bus.subscribe(BOARD_EVENTS, (event) => {
      if (ready) return this.#push(connection, event);
      if (early.length >= MAX_EARLY_EVENTS) return this.#tooSlow(connection);
      early.push(event);
    });
    // A networked bus that was cut off may have missed other gateways' changes: a new
    // `events.ready` makes the client refetch (before the first one, that one will).
    const stopResync = this.#options.bus.subscribe(CHANGES, (change) => {
      if (change.type !== 'bus.resynced' || !ready) return;
      this.#options.boardEvents
        .activities()
        .then((activities) =>
          this.#push(connection, { type: 'events.ready', activities, heartbeatMs: this.#pinger.intervalMs }),
        )
        .catch((error: unknown) =>
          this.#options.log.warn({ err: error }, 'operator socket: no refetch after a bus resync'),
        );
    });
    connection.unsubscribe = () => {
      stopEvents();
      stopResync();
    };
    this.#options.boardEvents
      .activities()
      .then((activities) => {
        this.#push(connection, { type: 'events.ready', activities, heartbeatMs: this.#pinger.intervalMs });
        ready = true;
        for (const event of early.splice(0)) this.#push(connection, event);
      })
      .catch((error: unknown) => {
        this.#options.log.error({ err: error }, 'operator socket: cannot read task activities; closing');
        connection.unsubscribe?.();
        connection.ws.close(1011, 'the gateway could not read the task activities: reconnect');
      });
  }

  /** One event frame, numbered only once it is sent; a socket too far behind is closed instead. */
  #push(connection: Connection, event: BoardEvent): void {
    const { ws } = connection;
    if (ws.readyState !== WebSocket.OPEN) return;
    if (ws.bufferedAmount > this.#maxBufferedBytes) {
      this.#tooSlow(connection);
      return;
    }
    connection.seq += 1;
    const frame: OperatorEventFrame = { type: 'event', seq: connection.seq, event };
    ws.send(JSON.stringify(frame));
  }

  #tooSlow(connection: Connection): void {
    connection.unsubscribe?.();
    connection.unsubscribe = undefined;
    this.#options.log.warn(
      { deviceId: connection.principal.deviceId, bufferedBytes: connection.ws.bufferedAmount },
      'operator socket fell behind the events; closing it',
    );
    connection.ws.close(TOO_SLOW_CLOSE, 'too slow: events fell behind; reconnect and refetch');
  }

  // ---- requests ----

  #onFrame(connection: Connection, data: RawData, isBinary: boolean): void {
    if (isBinary) {
      this.#answer(connection, failed('', 400, 'validation_failed', 'binary frames are not accepted'));
      return;
    }
    const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : data.toString();
    const decoded = decodeFrame(OperatorRequestSchema, text, MAX_OPERATOR_FRAME_BYTES);
    if (!decoded.ok) {
      const tooLarge = decoded.code === 'payload_too_large';
      const message = tooLarge
        ? `a frame is at most ${MAX_OPERATOR_FRAME_BYTES} bytes`
        : `expected a req frame: ${decoded.message}`;
      const answer = tooLarge
        ? failed(idOf(text), 413, 'payload_too_large', message)
        : failed(idOf(text), 400, 'validation_failed', message);
      this.#answer(connection, answer);
      return;
    }
    const request = decoded.value;
    if (connection.inFlight >= MAX_IN_FLIGHT) {
      const message = `at most ${MAX_IN_FLIGHT} requests at once: wait for answers`;
      this.#answer(connection, failed(request.id, 429, 'rate_limited', message));
      return;
    }
    connection.inFlight += 1;
    const running = this.#run(connection, request)
      .catch((error: unknown): OperatorResponse => {
        this.#options.log.error({ err: error, method: request.method }, 'operator socket request failed');
        return failed(request.id, 500, 'internal', 'internal error');
      })
      .then((answer) => {
        connection.inFlight -= 1;
        this.#answer(connection, answer);
      });
    this.#running.add(running);
    running.finally(() => this.#running.delete(running));
  }

  /** Runs the route the request names through the app, as the socket's device. */
  async #run(connection: Connection, request: OperatorRequest): Promise<OperatorResponse> {
    const { id, method } = request;
    const built = buildRequest(request);
    if ('failure' in built) {
      const { status, code, message } = built.failure;
      return failed(id, status, code, message);
    }
    const env = operatorSocketEnv({ principal: connection.principal, source: connection.source });
    const response = await this.#options.app.fetch(built.request, env);
    const text = await response.text();
    this.#options.log.debug({ method, status: response.status }, 'operator socket request');
    let json: unknown;
    try {
      json = text === '' ? null : JSON.parse(text);
    } catch {
      return failed(id, 500, 'internal', `${method} answered ${response.status} without a JSON body`);
    }
    if (response.ok) return { type: 'res', id, ok: true, status: response.status, data: json };
    const body = ErrorBodySchema.safeParse(json);
    return body.success
      ? { type: 'res', id, ok: false, status: response.status, error: body.data.error }
      : failed(id, response.status, 'internal', `${method} answered ${response.status}`);
  }

  #answer(connection: Connection, answer: OperatorResponse): void {
    if (connection.ws.readyState === WebSocket.OPEN) connection.ws.send(JSON.stringify(answer));
  }

  #principalOf(ws: WebSocket): string | undefined {
    for (const connection of this.#connections)
      if (connection.ws === ws) return connection.principal.deviceId;
    return undefined;
  }

  /** Closes every operator socket; requests already running get a moment to finish. */
  async close(): Promise<void> {
    this.#closing = true;
    this.#pinger.stop();
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, 1_000).unref());
    await Promise.race([Promise.all([...this.#running]), timeout]);
    for (const ws of this.#wss.clients) ws.close(WS_CLOSE.goingAway, 'gateway shutting down');
    for (const ws of this.#wss.clients) ws.terminate();
    this.#wss.close();
  }
}

function failed(id: string, status: number, code: ErrorCode, message: string): OperatorResponse {
  return { type: 'res', id, ok: false, status, error: { code, message } };
}

/** The id of a frame that failed to decode, when it has a usable one. */
function idOf(text: string): string {
  try {
    const id: unknown = (JSON.parse(text) as { id?: unknown } | null)?.id;
    return typeof id === 'string' && id.length <= 100 ? id : '';
  } catch {
    return '';
  }
}

const isRouteName = (name: string): name is RouteName => (ROUTE_NAMES as readonly string[]).includes(name);

/**
 * The HTTP request a `req` frame stands for: the route's method and path with the params filled
 * in, the query, the body as JSON, the idempotency key as its header. What the route itself
 * checks (the params' and body's schemas, the scope) is left to it.
 */
function buildRequest(request: OperatorRequest): { request: Request } | { failure: Failure } {
  const { method } = request;
  const fail = (status: number, code: ErrorCode, message: string) => ({ failure: { status, code, message } });
  if (!isRouteName(method)) {
    return fail(404, 'not_found', `no method "${method}": a method is a JSON route's name, as tasks.list`);
  }
  const route = routeOf(method);
  if (route.kind !== 'json') {
    const what = route.kind === 'sse' ? 'an event stream' : route.kind === 'file' ? 'a file' : 'a WebSocket';
    return fail(
      400,
      'bad_request',
      `${method} is ${what}, not a method: open ${route.path} itself (board events come on this socket)`,
    );
  }
  const names = pathParamNames(route.path);
  const params = request.params ?? {};
  for (const key of Object.keys(params)) {
    if (!names.includes(key)) return fail(400, 'validation_failed', `${method} takes no param "${key}"`);
  }
  for (const name of names) {
    const value = params[name];
    if ((typeof value !== 'string' && typeof value !== 'number') || String(value) === '') {
      return fail(400, 'validation_failed', `params.${name}: required (a string)`);
    }
  }
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(request.query ?? {})) {
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      return fail(400, 'validation_failed', `query.${key}: must be a string, a number or a boolean`);
    }
    search.set(key, String(value));
  }
  if (request.body !== undefined && !route.body) {
    return fail(400, 'validation_failed', `${method} takes no body`);
  }
  const headers: Record<string, string> = { accept: 'application/json' };
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  if (request.idempotencyKey !== undefined) headers['idempotency-key'] = request.idempotencyKey;
  const query = search.toString();
  const url = `${IN_PROCESS_ORIGIN}${fillPath(route.path, params)}${query ? `?${query}` : ''}`;
  return {
    request: new Request(url, {
      method: route.method,
      headers,
      ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
    }),
  };
}

/** Milliseconds until the board session the socket was opened on ends, if it was. */
function sessionExpiry(upgraded: Principal | undefined): number | undefined {
  if (upgraded?.via !== 'session' || !upgraded.sessionExpiresAt) return undefined;
  // setTimeout's limit is about 24.8 days; a session lasts a week.
  return Math.min(Math.max(0, Date.parse(upgraded.sessionExpiresAt) - Date.now()), 2 ** 31 - 1);
}
