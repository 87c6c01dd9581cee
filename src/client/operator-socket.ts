import type { z } from 'zod';
import {
  type BoardEvent,
  type ConnectOk,
  type ConnectPairing,
  type JsonRouteName,
  type OperatorRequest,
  type OperatorResponse,
  type OperatorScope,
  OperatorServerMessageSchema,
  REST_ROUTES,
  WS_CLOSE,
} from '../protocol/index.ts';
import { type HandshakeSocket, isHandshakeFrame, performHandshake } from './connect-handshake.ts';
import type { DeviceIdentity } from './device-identity.ts';
import { GatewayClientError } from './gateway-client-error.ts';
import type { ResponseOf, RouteArgs } from './route-input.ts';
import { readInput, routeBody, routeTarget } from './route-request.ts';

const ROUTE = 'operator.socket';
const OPEN = 1;
const CLOSED = 3;

/** What the connection needs of a socket: the runtime's WebSocket and the `ws` package's both fit. */
export interface OperatorSocketLike {
  readonly readyState: number;
  send(text: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'close', listener: (event: { code: number; reason: string }) => void): void;
}

/** Opens a WebSocket to `url` sending `headers` on the upgrade (none in a browser: it has its cookie). */
export type OpenOperatorSocket = (url: string, headers: Record<string, string>) => OperatorSocketLike;

/** Events were missed: `received` came where `expected` should have. Refetch what is shown. */
export interface EventGap {
  expected: number;
  received: number;
}

export type OperatorEventListener = (event: BoardEvent, seq: number) => void;

export interface ConnectOperatorSocketOptions {
  /** The device key that signs the handshake. */
  identity: DeviceIdentity;
  /** The device token (or the operator token); absent while the device is being paired. */
  token?: string;
  /** Scopes to ask for; by default every scope the device holds. */
  scopes?: OperatorScope[];
  /** A one-time pairing code from the board: pairs a new device on the spot. */
  pairingCode?: string;
  /** The name an operator sees while approving a new device. */
  name?: string;
  client?: { name?: string; version?: string };
  /** Headers on the upgrade (Node only: a browser sends its own cookie). */
  headers?: Readonly<Record<string, string>>;
  /** The device is new: show `pairing.code` and wait for an operator to approve it. */
  onPairing?: (pairing: ConnectPairing) => void;
  /** Every board event, in order, with its seq. */
  onEvent?: OperatorEventListener;
  /** The seq jumped (or went back): events were lost; refetch the state shown. */
  onGap?: (gap: EventGap) => void;
  /** Frames that match no message of the socket: dropped, reported here. */
  onInvalid?: (error: GatewayClientError) => void;
  /** The route table's path by default. */
  path?: string;
  /** How long to wait for the handshake's answers (not for an operator); default 15 s. */
  handshakeTimeoutMs?: number;
  /** How long a call waits for its answer; default 60 s. */
  requestTimeoutMs?: number;
  /** Opens the socket; the runtime's own WebSocket by default. */
  openSocket?: OpenOperatorSocket;
}

interface Pending {
  name: JsonRouteName;
  resolve(answer: OperatorResponse): void;
  reject(error: unknown): void;
}

/**
 * The operator control socket (`/api/ws`) once its handshake succeeded: typed calls to any JSON
 * route of the route table, checked against the table both ways as GatewayClient's are, and the
 * board's push-only events with a gap detector (events are never replayed: on a gap, or after a
 * reconnect, refetch).
 */
export class OperatorConnection {
  readonly socket: OperatorSocketLike;
  /** The handshake's answer: the device, its scopes, and a new `deviceToken` to keep if there is one. */
  readonly ok: ConnectOk;
  /** Settles with the close code and reason, however the socket closed. */
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly #listeners = new Set<OperatorEventListener>();
  readonly #pending = new Map<string, Pending>();
  readonly #options: ConnectOperatorSocketOptions;
  #lastSeq = 0;
  #nextId = 0;
  #closedWith: { code: number; reason: string } | undefined;

  /** Used by connectOperatorSocket; `early` are the frames that came before the handshake ended. */
  constructor(
    socket: OperatorSocketLike,
    ok: ConnectOk,
    options: ConnectOperatorSocketOptions,
    closed: Promise<{ code: number; reason: string }>,
  ) {
    this.socket = socket;
    this.ok = ok;
    this.#options = options;
    if (options.onEvent) this.#listeners.add(options.onEvent);
    this.closed = closed.then((close) => {
      this.#closedWith = close;
      const error = new GatewayClientError(
        'unreachable',
        `the operator socket closed (${close.code}${close.reason ? `: ${close.reason}` : ''})`,
        { route: ROUTE },
      );
      for (const pending of this.#pending.values()) pending.reject(error);
      this.#pending.clear();
      return close;
    });
  }

  /** The seq of the last event received (0 before the first). */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** Every board event from now on; returns the unsubscribe. */
  onEvent(listener: OperatorEventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Calls a JSON route over the socket and returns its checked answer, as GatewayClient.call does. */
  async call<N extends JsonRouteName>(name: N, ...args: RouteArgs<N>): Promise<ResponseOf<N>> {
    return (await this.request(name, ...args)).data;
  }

  /** As `call`, with the answer's status. */
  async request<N extends JsonRouteName>(
    name: N,
    ...args: RouteArgs<N>
  ): Promise<{ status: number; data: ResponseOf<N> }> {
    const route = REST_ROUTES[name];
    const input = readInput(args[0]);
    // The same checks as a REST call, before anything is sent.
    routeTarget(name, route, input);
    routeBody(name, route, input);
    if (this.#closedWith || this.socket.readyState !== OPEN) {
      throw new GatewayClientError('unreachable', `${name}: the operator socket is not open`, {
        route: name,
      });
    }
    this.#nextId += 1;
    const id = `r${this.#nextId}`;
    const frame: OperatorRequest = {
      type: 'req',
      id,
      method: name,
      ...(isRecord(input.params) ? { params: input.params } : {}),
      ...(isRecord(input.query) ? { query: input.query } : {}),
      ...(input.body !== undefined ? { body: input.body } : {}),
      ...(input.idempotencyKey !== undefined && route.idempotencyKey
        ? { idempotencyKey: input.idempotencyKey }
        : {}),
    };
    const answer = await new Promise<OperatorResponse>((resolve, reject) => {
      const timeoutMs = this.#options.requestTimeoutMs ?? 60_000;
      const settle = () => {
        clearTimeout(timer);
        input.signal?.removeEventListener('abort', onAbort);
        this.#pending.delete(id);
      };
      const timer = setTimeout(() => {
        settle();
        reject(
          new GatewayClientError('unreachable', `${name}: no answer in ${timeoutMs} ms`, { route: name }),
        );
      }, timeoutMs);
      const onAbort = () => {
        settle();
        reject(input.signal?.reason);
      };
      if (input.signal?.aborted) return onAbort();
      input.signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(id, {
        name,
        resolve: (value) => {
          settle();
          resolve(value);
        },
        reject: (error) => {
          settle();
          reject(error);
        },
      });
      this.socket.send(JSON.stringify(frame));
    });
    if (!answer.ok) {
      const { code, message, retryable } = answer.error;
      throw new GatewayClientError(code, message, {
        status: answer.status,
        route: name,
        ...(retryable !== undefined ? { retryable } : {}),
      });
    }
    const schema = responseSchemaOf(name, answer.status);
    if (!schema) {
      const expected = Object.keys(route.responses).join(' or ');
      throw badResponse(name, answer.status, `answered ${answer.status}, expected ${expected}`);
    }
    const parsed = schema.safeParse(answer.data);
    if (!parsed.success) {
      const detail = parsed.error.issues
        .slice(0, 3)
        .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
        .join('; ');
      throw badResponse(name, answer.status, `answer does not match its schema: ${detail}`);
    }
    return { status: answer.status, data: parsed.data };
  }

  close(): Promise<{ code: number; reason: string }> {
    if (this.socket.readyState !== CLOSED) this.socket.close(WS_CLOSE.normal);
    return this.closed;
  }

  /** A frame after the handshake: an answer to a call, or an event. */
  receive(value: unknown): void {
    const parsed = OperatorServerMessageSchema.safeParse(value);
    if (!parsed.success) {
      const text = JSON.stringify(value)?.slice(0, 200) ?? String(value);
      this.#options.onInvalid?.(
        new GatewayClientError('bad_response', `${ROUTE}: not an operator socket message: ${text}`, {
          route: ROUTE,
        }),
      );
      return;
    }
    const message = parsed.data;
    if (message.type === 'res') {
      this.#pending.get(message.id)?.resolve(message);
      return;
    }
    const expected = this.#lastSeq + 1;
    this.#lastSeq = message.seq;
    if (message.seq !== expected) this.#options.onGap?.({ expected, received: message.seq });
    for (const listener of [...this.#listeners]) listener(message.event, message.seq);
  }
}

/**
 * Opens the operator socket, answers the handshake with the device key (waiting through pairing
 * when the device is new) and resolves with the connection; rejects with HandshakeRefusedError
 * when the gateway refused it.
 */
export async function connectOperatorSocket(
  baseUrl: string,
  options: ConnectOperatorSocketOptions,
): Promise<OperatorConnection> {
  const url = socketUrl(baseUrl, options.path ?? REST_ROUTES[ROUTE].path);
  const socket = (options.openSocket ?? openRuntimeSocket)(url, { ...options.headers });
  // Listening from the start: an event may arrive in the same read as connect.ok.
  const early: unknown[] = [];
  let connection: OperatorConnection | undefined;
  socket.addEventListener('message', (event) => {
    let value: unknown;
    try {
      value = JSON.parse(typeof event.data === 'string' ? event.data : String(event.data));
    } catch {
      value = event.data;
    }
    if (isHandshakeFrame(value)) return;
    if (connection) connection.receive(value);
    else early.push(value);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.addEventListener('close', (event) => resolve({ code: event.code, reason: event.reason })),
  );
  try {
    const ok = await performHandshake(handshakeSide(socket), {
      identity: options.identity,
      ask: {
        role: 'operator',
        ...(options.scopes ? { scopes: options.scopes } : {}),
        ...(options.token ? { token: options.token } : {}),
        ...(options.pairingCode ? { pairingCode: options.pairingCode } : {}),
        ...(options.name ? { name: options.name } : {}),
        ...(options.client ? { client: options.client } : {}),
      },
      ...(options.onPairing ? { onPairing: options.onPairing } : {}),
      ...(options.handshakeTimeoutMs !== undefined ? { timeoutMs: options.handshakeTimeoutMs } : {}),
    });
    connection = new OperatorConnection(socket, ok, options, closed);
  } catch (error) {
    if (socket.readyState !== CLOSED) socket.close(WS_CLOSE.normal);
    throw error;
  }
  for (const value of early.splice(0)) connection.receive(value);
  return connection;
}

function openRuntimeSocket(url: string, headers: Record<string, string>): OperatorSocketLike {
  if (Object.keys(headers).length === 0) return new WebSocket(url);
  // undici's WebSocketInit (`{headers}`) is not in the DOM typings the constructor has here.
  return Reflect.construct(WebSocket, [url, { headers }]);
}

/** The socket as performHandshake takes it: its listeners come and go over the socket's own two. */
function handshakeSide(socket: OperatorSocketLike): HandshakeSocket {
  type Listener = (event: unknown) => void;
  const listeners = { message: new Set<Listener>(), close: new Set<Listener>() };
  socket.addEventListener('message', (event) => {
    for (const listener of [...listeners.message]) listener(event);
  });
  socket.addEventListener('close', (event) => {
    for (const listener of [...listeners.close]) listener(event);
  });
  return {
    send: (text) => socket.send(text),
    // performHandshake's listeners take the event of their type, which the socket's own two pass.
    addEventListener(type: 'message' | 'close', listener: (event: never) => void) {
      listeners[type].add(listener as Listener);
    },
    removeEventListener(type, listener) {
      listeners[type].delete(listener as Listener);
    },
  };
}

function socketUrl(baseUrl: string, path: string): string {
  const base = typeof location === 'undefined' ? undefined : location.href;
  const url = new URL(`${baseUrl.replace(/\/+$/, '')}${path}`, base);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

/** The schema of a route's answer with this status (as GatewayClient's, for the same reason). */
function responseSchemaOf<N extends JsonRouteName>(
  name: N,
  status: number,
): z.ZodType<ResponseOf<N>> | undefined {
  const responses: Readonly<Partial<Record<number, z.ZodType>>> = REST_ROUTES[name].responses;
  return responses[status] as z.ZodType<ResponseOf<N>> | undefined;
}

function badResponse(name: string, status: number, detail: string): GatewayClientError {
  return new GatewayClientError('bad_response', `${name}: ${detail}`, {
    status,
    route: name,
    retryable: false,
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
