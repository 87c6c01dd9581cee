import {
  ConnectServerFrameSchema,
  decodeViewerOutputFrame,
  describeZodError,
  TERMINAL_ERROR_CODES,
  type TerminalAccess,
  type TerminalClientMessage,
  TerminalClientMessageSchema,
  type TerminalOutputFormat,
  type TerminalServerMessage,
  TerminalServerMessageSchema,
  WS_CLOSE,
} from '../protocol/index.ts';
import { isHandshakeFrame } from './connect-handshake.ts';
import {
  answerChallenge,
  type DeviceIdentity,
  generateDeviceKeys,
  identityFromKeyPair,
} from './device-identity.ts';
import type { GatewayAccess } from './gateway-access.ts';
import { GatewayClientError } from './gateway-client-error.ts';

const ROUTE = 'terminals.socket';

/** What each request is answered with (or a `terminal:error` carrying its requestId). */
const ANSWER_TYPES = {
  'terminal:list': 'terminal:list-result',
  'terminal:create': 'terminal:created',
  'terminal:input': 'terminal:done',
  'terminal:resize': 'terminal:done',
} as const;
type RequestType = keyof typeof ANSWER_TYPES;
type RequestMessage = Extract<TerminalClientMessage, { type: RequestType }>;
/** A request as the caller writes it: the connection adds the requestId. */
export type TerminalRequest = RequestMessage extends infer R
  ? R extends RequestMessage
    ? Omit<R, 'requestId'>
    : never
  : never;
export type TerminalAnswer<T extends RequestType> = Extract<
  TerminalServerMessage,
  { type: (typeof ANSWER_TYPES)[T] }
>;

export interface ConnectTerminalOptions {
  /** `read` asks for a read-only viewer. */
  access?: TerminalAccess;
  /**
   * How pane output travels: `binary` (the default) asks for binary frames, which cost neither side
   * any JSON; a gateway that does not know them sends JSON. Either way output is delivered as
   * `terminal:output` messages.
   */
  output?: TerminalOutputFormat;
  /** The route table's path by default; OPENVIBER_TERMINAL_WS_PATH moves it on the gateway. */
  path?: string;
  /** How long to wait for `terminal:ready`, the connect handshake included (default 15 s). */
  timeoutMs?: number;
  /**
   * The device key that signs the connect handshake: the CLI's own key when it uses its own
   * device token (`viber login --operator`), the board's key when it has one. Without it a fresh
   * key is made for this connection, which is enough for a keyless device's token (the operator
   * token) or a board session without a device key.
   */
  identity?: DeviceIdentity;
  /** Frames that do not match the protocol: dropped, never delivered, reported here. */
  onInvalid?: (error: GatewayClientError) => void;
  /**
   * Opens the socket; the runtime's own WebSocket by default. Node's cannot stop reading, so a
   * test that plays a viewer whose buffers fill passes one that can (the `ws` package's).
   */
  openSocket?: OpenTerminalSocket;
}

/** Opens a WebSocket to `url` sending `headers` on the upgrade (none in a browser: it has its cookie). */
export type OpenTerminalSocket = (url: string, headers: Record<string, string>) => WebSocket;

export type TerminalListener = (message: TerminalServerMessage) => void;

/**
 * The viewer side of the gateway's terminal WebSocket, on the runtime's own WebSocket (browsers,
 * Node 24). In Node the client's token goes in the upgrade's Authorization header (undici's
 * WebSocket takes headers; a browser's cannot, and signs in with its session cookie instead) and
 * in the connect handshake the gateway opens the socket with (device.ts); the handshake's frames
 * are connectTerminal's, never delivered as terminal messages.
 */
export class TerminalConnection {
  readonly socket: WebSocket;
  access: TerminalAccess = 'read';
  maxInputChars = 0;
  /** How the gateway sends pane output on this connection, as `terminal:ready` said. */
  output: TerminalOutputFormat = 'json';
  /** Settles with the close code and reason, however the socket closed. */
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly #listeners = new Set<TerminalListener>();
  readonly #onInvalid: ((error: GatewayClientError) => void) | undefined;
  #nextRequest = 0;

  constructor(socket: WebSocket, onInvalid?: (error: GatewayClientError) => void) {
    this.socket = socket;
    // Binary output frames as ArrayBuffers: the browser's default (Blob) is read asynchronously.
    // (The `ws` package's socket, which tests pass, hands over Buffers, which do as well.)
    if (socket.binaryType === 'blob') socket.binaryType = 'arraybuffer';
    this.#onInvalid = onInvalid;
    this.closed = new Promise((resolve) =>
      socket.addEventListener('close', (event) => resolve({ code: event.code, reason: event.reason })),
    );
    socket.addEventListener('message', (event) => this.#receive(event.data));
  }

  /** Every valid message from the gateway; returns the unsubscribe. */
  onMessage(listener: TerminalListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Sends a message after checking it against the protocol (the gateway would refuse it anyway). */
  send(message: TerminalClientMessage): void {
    const parsed = TerminalClientMessageSchema.safeParse(message);
    if (!parsed.success) {
      throw new GatewayClientError(
        'validation_failed',
        `${message.type}: ${describeZodError(parsed.error)}`,
        {
          route: ROUTE,
        },
      );
    }
    if (this.socket.readyState !== WebSocket.OPEN) {
      throw new GatewayClientError('unreachable', 'the terminal socket is not open', { route: ROUTE });
    }
    this.socket.send(JSON.stringify(message));
  }

  /** Sends a request with a fresh requestId; resolves with its answer or rejects with its error. */
  request<T extends RequestType>(
    message: TerminalRequest & { type: T },
    timeoutMs = 20_000,
  ): Promise<TerminalAnswer<T>> {
    this.#nextRequest += 1;
    const requestId = `c${this.#nextRequest}`;
    const wanted: string = ANSWER_TYPES[message.type];
    const isAnswer = (answer: TerminalServerMessage): answer is TerminalAnswer<T> => answer.type === wanted;
    return new Promise((resolve, reject) => {
      const finish = (error?: GatewayClientError, answer?: TerminalAnswer<T>) => {
        clearTimeout(timer);
        unsubscribe();
        if (answer) resolve(answer);
        else reject(error);
      };
      const timer = setTimeout(
        () =>
          finish(new GatewayClientError('unreachable', `${message.type} got no answer in ${timeoutMs} ms`)),
        timeoutMs,
      );
      const unsubscribe = this.onMessage((answer) => {
        if (!('requestId' in answer) || answer.requestId !== requestId) return;
        // Only the viber asked may answer: a gateway that mixed vibers up must not show another's panes.
        if (answer.viberId !== message.viberId) return;
        if (answer.type === 'terminal:error') finish(terminalError(answer));
        else if (isAnswer(answer)) finish(undefined, answer);
      });
      this.closed.then(() => finish(new GatewayClientError('unreachable', 'the terminal socket closed')));
      try {
        this.send({ ...message, requestId });
      } catch (error) {
        finish(GatewayClientError.isInstance(error) ? error : undefined);
      }
    });
  }

  close(): Promise<{ code: number; reason: string }> {
    if (this.socket.readyState !== WebSocket.CLOSED) this.socket.close(WS_CLOSE.normal);
    return this.closed;
  }

  #receive(data: unknown): void {
    if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) {
      this.#receiveBinary(data);
      return;
    }
    let value: unknown;
    try {
      value = typeof data === 'string' ? JSON.parse(data) : undefined;
    } catch {
      value = undefined;
    }
    if (isHandshakeFrame(value)) return;
    const parsed = TerminalServerMessageSchema.safeParse(value);
    if (!parsed.success) {
      const text = typeof data === 'string' ? data.slice(0, 200) : 'a binary frame';
      this.#onInvalid?.(
        new GatewayClientError('bad_response', `${ROUTE}: not a terminal message: ${text}`, { route: ROUTE }),
      );
      return;
    }
    if (parsed.data.type === 'terminal:ready') {
      this.access = parsed.data.access;
      this.maxInputChars = parsed.data.maxInputChars;
      this.output = parsed.data.output ?? 'json';
    }
    this.#deliver(parsed.data);
  }

  /** A binary frame: pane output (`?output=binary`), delivered as the `terminal:output` it stands for. */
  #receiveBinary(data: ArrayBuffer | ArrayBufferView): void {
    const bytes =
      data instanceof ArrayBuffer
        ? new Uint8Array(data)
        : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const output = decodeViewerOutputFrame(bytes);
    if (!output) {
      this.#onInvalid?.(
        new GatewayClientError('bad_response', `${ROUTE}: a binary frame that is not terminal output`, {
          route: ROUTE,
        }),
      );
      return;
    }
    this.#deliver(output);
  }

  #deliver(message: TerminalServerMessage): void {
    for (const listener of [...this.#listeners]) listener(message);
  }
}

/** Refusal codes of the handshake that mean: this device may not do this (not: who are you?). */
const FORBIDDEN_REFUSALS = new Set(['scope_denied']);

/**
 * Opens the terminal socket, answers the gateway's `connect.challenge` with the signed `connect`
 * (role operator, the client's token), and resolves once the gateway said `terminal:ready`.
 * Rejects with `unauthorized` or `forbidden` when the gateway refused the upgrade or the
 * handshake (4401, 4403, `connect.refused`), and with `unauthorized` when the device would first
 * have to be paired. A gateway that sends no challenge is answered as before (no handshake).
 */
export function connectTerminal(
  client: GatewayAccess,
  options: ConnectTerminalOptions = {},
): Promise<TerminalConnection> {
  const url = socketUrl(client, options);
  const headers: Record<string, string> =
    client.token === undefined ? {} : { authorization: `Bearer ${client.token}` };
  const socket = (options.openSocket ?? openRuntimeSocket)(url, headers);
  const connection = new TerminalConnection(socket, options.onInvalid);
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: GatewayClientError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.removeEventListener('message', onHandshake);
      if (socket.readyState !== WebSocket.CLOSED) socket.close();
      reject(error);
    };
    const timer = setTimeout(
      () =>
        fail(
          new GatewayClientError(
            'unreachable',
            `no terminal:ready from ${url} in ${options.timeoutMs ?? 15_000} ms`,
          ),
        ),
      options.timeoutMs ?? 15_000,
    );
    const onHandshake = (event: MessageEvent) => {
      let value: unknown;
      try {
        value = typeof event.data === 'string' ? JSON.parse(event.data) : undefined;
      } catch {
        return;
      }
      if (!isHandshakeFrame(value)) return;
      const parsed = ConnectServerFrameSchema.safeParse(value);
      if (!parsed.success) {
        fail(
          new GatewayClientError('bad_response', `${ROUTE}: a malformed handshake frame`, { route: ROUTE }),
        );
        return;
      }
      const frame = parsed.data;
      switch (frame.type) {
        case 'connect.challenge':
          (options.identity ? Promise.resolve(options.identity) : ephemeralIdentity())
            .then((identity) =>
              answerChallenge(identity, frame, {
                role: 'operator',
                ...(client.token ? { token: client.token } : {}),
                client: { name: 'openviber-terminal' },
              }),
            )
            .then((answer) => {
              if (!settled && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(answer));
            })
            .catch((error: unknown) =>
              fail(
                new GatewayClientError(
                  'internal',
                  `could not sign the terminal handshake: ${String(error)}`,
                  {
                    route: ROUTE,
                  },
                ),
              ),
            );
          return;
        case 'connect.pairing':
          fail(
            new GatewayClientError(
              'unauthorized',
              `this device (${frame.deviceId.slice(0, 12)}) is not paired with the gateway: an operator must approve it first (code ${frame.code})`,
              { route: ROUTE, retryable: false },
            ),
          );
          return;
        case 'connect.refused':
          fail(
            new GatewayClientError(
              FORBIDDEN_REFUSALS.has(frame.code)
                ? 'forbidden'
                : frame.code === 'rate_limited'
                  ? 'rate_limited'
                  : 'unauthorized',
              `the gateway refused the terminal socket: ${frame.message} (${frame.code})`,
              { route: ROUTE },
            ),
          );
          return;
        case 'connect.ok':
          return;
      }
    };
    socket.addEventListener('message', onHandshake);
    const unsubscribe = connection.onMessage((message) => {
      if (message.type !== 'terminal:ready' || settled) return;
      settled = true;
      clearTimeout(timer);
      unsubscribe();
      socket.removeEventListener('message', onHandshake);
      resolve(connection);
    });
    connection.closed.then(({ code, reason }) => {
      const refused =
        code === WS_CLOSE.unauthorized
          ? 'unauthorized'
          : code === WS_CLOSE.forbidden
            ? 'forbidden'
            : undefined;
      const message = `the terminal socket closed (${code}) ${reason}`.trim();
      fail(new GatewayClientError(refused ?? 'unreachable', message, { route: ROUTE }));
    });
  });
}

/** A key for this one connection, for a token or session that is not bound to a device key. */
async function ephemeralIdentity(): Promise<DeviceIdentity> {
  return identityFromKeyPair(await generateDeviceKeys(true));
}

function openRuntimeSocket(url: string, headers: Record<string, string>): WebSocket {
  if (Object.keys(headers).length === 0) return new WebSocket(url);
  // undici's WebSocketInit (`{headers}`) is not in the DOM typings the constructor has here.
  return Reflect.construct(WebSocket, [url, { headers }]);
}

function socketUrl(client: GatewayAccess, options: ConnectTerminalOptions): string {
  const base = typeof location === 'undefined' ? undefined : location.href;
  const query = {
    ...(options.access ? { access: options.access } : {}),
    ...((options.output ?? 'binary') === 'binary' ? { output: 'binary' as const } : {}),
  };
  const url = new URL(client.url(ROUTE, { query }), base);
  if (options.path) url.pathname = options.path;
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

function terminalError(
  message: Extract<TerminalServerMessage, { type: 'terminal:error' }>,
): GatewayClientError {
  const known = TERMINAL_ERROR_CODES.find((code) => code === message.code);
  // A code this client does not know yet (a newer gateway or daemon) keeps its name in the message.
  return new GatewayClientError(
    known ?? 'internal',
    known ? message.message : `${message.code}: ${message.message}`,
    {
      route: ROUTE,
      retryable: false,
    },
  );
}
