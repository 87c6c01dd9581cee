import {
  type DesktopAccess,
  type DesktopClientMessage,
  type DesktopServerMessage,
  DesktopServerMessageSchema,
  WS_CLOSE,
} from '../protocol/index.ts';
import { HandshakeRefusedError, type HandshakeSocket, performHandshake } from './connect-handshake.ts';
import { type DeviceIdentity, generateDeviceKeys, identityFromKeyPair } from './device-identity.ts';
import type { GatewayAccess } from './gateway-access.ts';
import { GatewayClientError } from './gateway-client-error.ts';

const ROUTE = 'desktop.socket';

export interface ConnectDesktopOptions {
  viberId: string;
  /** `control` takes over from the start (needs terminals.write); default `view`. */
  access?: DesktopAccess;
  /** The device key that signs the handshake; a key made for this connection when absent. */
  identity?: DeviceIdentity;
  timeoutMs?: number;
}

type MessageListener = (event: { data: ArrayBuffer }) => void;

/**
 * The RFB byte stream of a desktop view, shaped as the WebSocket a VNC client (noVNC's RFB) takes
 * in place of a URL: binary frames only, the view's JSON messages kept out of it. Bytes that
 * arrive before the client attaches wait for it.
 */
export class RfbChannel {
  binaryType = 'arraybuffer';
  onopen: (() => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  onclose: ((event: { code: number; reason: string; wasClean: boolean }) => void) | null = null;
  #onmessage: MessageListener | null = null;
  readonly #waiting: ArrayBuffer[] = [];
  readonly #socket: WebSocket;

  constructor(socket: WebSocket) {
    this.#socket = socket;
  }

  get protocol(): string {
    return this.#socket.protocol;
  }

  get readyState(): number {
    return this.#socket.readyState;
  }

  get onmessage(): MessageListener | null {
    return this.#onmessage;
  }

  set onmessage(listener: MessageListener | null) {
    this.#onmessage = listener;
    if (!listener || this.#waiting.length === 0) return;
    const waiting = this.#waiting.splice(0);
    // After the client finished attaching, as a socket's own events would come.
    queueMicrotask(() => {
      for (const data of waiting) this.#onmessage?.({ data });
    });
  }

  send(data: ArrayBufferLike | Uint8Array): void {
    this.#socket.send(data as ArrayBuffer);
  }

  close(): void {
    this.#socket.close(WS_CLOSE.normal, 'viewer closed');
  }

  /** Bytes from the gateway. */
  deliver(data: ArrayBuffer): void {
    if (this.#onmessage) this.#onmessage({ data });
    else this.#waiting.push(data);
  }
}

/** One open desktop view: the RFB channel for the VNC client and the view's own messages. */
export class DesktopConnection {
  readonly channel: RfbChannel;
  readonly socket: WebSocket;
  access: DesktopAccess;
  readonly #listeners = new Set<(message: DesktopServerMessage) => void>();

  constructor(socket: WebSocket, access: DesktopAccess) {
    this.socket = socket;
    this.channel = new RfbChannel(socket);
    this.access = access;
    socket.addEventListener('message', (event) => {
      if (typeof event.data !== 'string') {
        this.channel.deliver(event.data as ArrayBuffer);
        return;
      }
      const parsed = parseMessage(event.data);
      if (!parsed) return;
      if (parsed.type === 'desktop:access') this.access = parsed.access;
      for (const listener of [...this.#listeners]) listener(parsed);
    });
    socket.addEventListener('close', (event) => this.channel.onclose?.(event));
    socket.addEventListener('error', (event) => this.channel.onerror?.(event));
  }

  /** The view's messages: access changes, refused input, errors, the end. */
  onMessage(listener: (message: DesktopServerMessage) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  takeOver(): void {
    this.#send({ type: 'desktop:take-over' });
  }

  release(): void {
    this.#send({ type: 'desktop:release' });
  }

  close(): void {
    this.socket.close(WS_CLOSE.normal, 'viewer closed');
  }

  #send(message: DesktopClientMessage): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }
}

/**
 * Opens the desktop socket for one viber, signs the connect handshake, and resolves once the
 * gateway said `desktop:ready`; rejects with the gateway's reason (`not_supported` when the viber
 * runs no VNC server, `viber_offline`, `forbidden` for a missing scope, ...).
 */
export async function connectDesktop(
  client: GatewayAccess,
  options: ConnectDesktopOptions,
): Promise<DesktopConnection> {
  const identity = options.identity ?? (await identityFromKeyPair(await generateDeviceKeys(true)));
  const base = typeof location === 'undefined' ? undefined : location.href;
  const query = { viber: options.viberId, ...(options.access ? { access: options.access } : {}) };
  const url = new URL(client.url(ROUTE, { query }), base);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  // A browser's upgrade carries the session cookie; elsewhere (Node) the token goes as a bearer.
  const socket: WebSocket =
    client.token === undefined
      ? new WebSocket(url)
      : Reflect.construct(WebSocket, [url, { headers: { authorization: `Bearer ${client.token}` } }]);
  socket.binaryType = 'arraybuffer';
  const closed = new Promise<GatewayClientError>((resolve) =>
    socket.addEventListener('close', (event) =>
      resolve(
        new GatewayClientError(
          event.code === WS_CLOSE.forbidden
            ? 'forbidden'
            : event.code === WS_CLOSE.unauthorized
              ? 'unauthorized'
              : 'unreachable',
          `the desktop socket closed (${event.code}) ${event.reason}`.trim(),
          { route: ROUTE },
        ),
      ),
    ),
  );
  // Both listeners are in place before the first frame (the challenge) can arrive.
  const ready = new Promise<DesktopServerMessage>((resolve) => {
    const onMessage = (event: MessageEvent) => {
      const parsed = typeof event.data === 'string' ? parseMessage(event.data) : undefined;
      if (!parsed) return;
      socket.removeEventListener('message', onMessage);
      resolve(parsed);
    };
    socket.addEventListener('message', onMessage);
  });
  try {
    await performHandshake(socket as unknown as HandshakeSocket, {
      identity,
      ask: {
        role: 'operator',
        ...(client.token ? { token: client.token } : {}),
        client: { name: 'openviber-desktop' },
      },
      timeoutMs: options.timeoutMs ?? 15_000,
    });
  } catch (error) {
    socket.close();
    if (error instanceof HandshakeRefusedError && error.code === 'closed') throw await closed;
    throw new GatewayClientError(
      'unauthorized',
      `the gateway refused the desktop view: ${(error as Error).message}`,
      { route: ROUTE },
    );
  }
  const first = await Promise.race([ready, closed.then((error) => Promise.reject(error))]);
  if (first.type === 'desktop:error') {
    socket.close();
    throw new GatewayClientError(first.code, first.message, { route: ROUTE, retryable: false });
  }
  if (first.type !== 'desktop:ready') {
    socket.close();
    throw new GatewayClientError(
      'bad_response',
      `the desktop socket answered ${first.type} before desktop:ready`,
      { route: ROUTE },
    );
  }
  return new DesktopConnection(socket, first.access);
}

function parseMessage(text: string): DesktopServerMessage | undefined {
  try {
    const parsed = DesktopServerMessageSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
