import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket, { type RawData, WebSocketServer } from 'ws';
import type { Logger } from '../../core/logger.ts';
import {
  type DecodeResult,
  DocumentDaemonMessageSchema,
  decodeDaemonFrame,
  decodeFrame,
  LIMITS,
  type ProtocolExtension,
  REST_ROUTES,
  WS_CLOSE,
} from '../../protocol/index.ts';
import type { DeviceSockets } from '../auth/device-sockets.ts';
import type { DeviceService } from '../auth/devices.ts';
import type { GatewayAuth } from '../auth/gateway-auth.ts';
import type { Principal } from '../auth/principal.ts';
import type { ConnectionRegistry } from '../vibers/connection-registry.ts';
import { truncateReason, ViberConnection } from '../vibers/viber-connection.ts';
import { connectionSource, runConnectHandshake } from './connect-handshake.ts';
import type { DaemonDispatch } from './daemon-dispatch.ts';
import { documentStandIn } from './document-refusal.ts';
import { standInForRefused } from './refused-frame.ts';

/** Where an accepted socket keeps its connection, for the listeners every socket shares. */
const CONNECTION = Symbol('viber connection');
type ConnectedSocket = WebSocket & { [CONNECTION]: ViberConnection };
const connectionOf = (ws: WebSocket): ViberConnection => (ws as ConnectedSocket)[CONNECTION];

/** A module function, not a closure: a closure here would keep the upgrade request for the socket's life. */
function destroyOnError(this: Duplex): void {
  this.destroy();
}

function onSocketError(this: WebSocket, error: Error): void {
  connectionOf(this).log.warn({ err: error }, 'viber socket error');
}

/** The daemon socket's path, from the route table. */
export const DAEMON_SOCKET_PATH = REST_ROUTES['daemon.socket'].path;

export interface ViberSocketDeps {
  auth: GatewayAuth;
  devices: DeviceService;
  deviceSockets: DeviceSockets;
  connections: ConnectionRegistry;
  dispatch: DaemonDispatch;
  log: Logger;
}

const header = (request: IncomingMessage, name: string): string | undefined => {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

function rejectUpgrade(socket: Duplex, status: string): void {
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/**
 * The daemon WebSocket at /ws. A daemon proves its node device in the connect handshake
 * (connect-handshake.ts); one that speaks only the protocol document's frames authenticates its
 * upgrade with its token and `X-Viber-Id` instead (docs/architecture.md, "Wire compatibility").
 * Keeps one connection per viber (a newer one replaces the older), decodes every frame against
 * the protocol and answers a bad frame with an `error` message instead of dropping the
 * connection. What a message means is DaemonDispatch's.
 */
export class ViberSocketServer {
  readonly #deps: ViberSocketDeps;
  readonly #wss = new WebSocketServer({
    noServer: true,
    // Frames up to maxFrameReadBytes are read so that one over maxFrameBytes is refused alone (see
    // #refuse); a larger one closes the connection with 1009 before it is buffered.
    maxPayload: LIMITS.maxFrameReadBytes,
    perMessageDeflate: false,
    clientTracking: false,
  });
  /** Every accepted socket until it closes, replaced ones included: a shutdown waits for them all. */
  readonly #open = new Map<WebSocket, ViberConnection>();
  #closing = false;

  /**
   * The listeners of every accepted socket, made once (a gateway holds thousands of sockets): plain
   * functions, so `this` is the socket, which carries its connection.
   */
  readonly #onMessage: (this: WebSocket, data: RawData, isBinary: boolean) => void;
  readonly #onSocketClose: (this: WebSocket, code: number) => void;

  constructor(deps: ViberSocketDeps) {
    this.#deps = deps;
    const server = this;
    this.#onMessage = function (data, isBinary) {
      server.#onFrame(connectionOf(this), data, isBinary);
    };
    this.#onSocketClose = function (code) {
      server.#onClose(this, connectionOf(this), code);
    };
  }

  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', destroyOnError);
    const path = (request.url ?? '/').split('?')[0];
    if (path !== DAEMON_SOCKET_PATH || this.#closing) {
      rejectUpgrade(socket, this.#closing ? '503 Service Unavailable' : '404 Not Found');
      return;
    }
    if (header(request, 'authorization') !== undefined) {
      this.#upgradeWithHeaders(request, socket, head);
      return;
    }
    // The 101 response and the challenge leave in one write (a write costs more than either).
    socket.cork();
    this.#wss.handleUpgrade(request, socket, head, (ws) => {
      if (this.#closing) return ws.close(WS_CLOSE.goingAway, 'gateway shutting down');
      const log = this.#deps.log;
      runConnectHandshake(ws, {
        devices: this.#deps.devices,
        role: 'node',
        source: connectionSource(request),
        log,
      })
        .then((connected) => {
          if (!connected) return;
          if (!connected.principal.viberId) {
            ws.close(WS_CLOSE.forbidden, 'this node device runs no viber');
            return;
          }
          this.#accept(ws, connected.principal, header(request, 'x-viber-version'), connected.extensions);
        })
        .catch((error: unknown) => {
          log.error({ err: error }, 'daemon handshake failed');
          ws.terminate();
        });
    });
    socket.uncork();
  }

  /**
   * The protocol document's upgrade: `Authorization: Bearer <token>` and `X-Viber-Id`. Such a
   * daemon negotiated nothing: it speaks the document's frames, without extensions.
   */
  #upgradeWithHeaders(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.#deps.auth
      .authenticateViber({
        authorization: header(request, 'authorization'),
        viberId: header(request, 'x-viber-id'),
        source: connectionSource(request),
      })
      .then((auth) => {
        if (this.#closing) {
          rejectUpgrade(socket, '503 Service Unavailable');
          return;
        }
        this.#wss.handleUpgrade(request, socket, head, (ws) => {
          if (auth.ok) return this.#accept(ws, auth.principal, header(request, 'x-viber-version'), []);
          this.#deps.log.warn({ claimedViberId: header(request, 'x-viber-id')?.slice(0, 200) }, auth.message);
          ws.close(
            auth.status === 403 ? WS_CLOSE.forbidden : WS_CLOSE.unauthorized,
            truncateReason(auth.message),
          );
        });
      })
      .catch((error: unknown) => {
        this.#deps.log.error({ err: error }, 'viber authentication failed');
        rejectUpgrade(socket, '500 Internal Server Error');
      });
  }

  #accept(
    ws: WebSocket,
    principal: Principal,
    version: string | undefined,
    extensions: readonly ProtocolExtension[],
  ): void {
    const viberId = principal.viberId!;
    const connection = new ViberConnection(viberId, ws, this.#deps.log, extensions, principal.deviceId);
    this.#open.set(ws, connection);
    this.#deps.deviceSockets.register(principal.deviceId, connection);
    const previous = this.#deps.connections.add(connection);
    if (previous) {
      previous.log.info('replaced by a newer connection');
      previous.close(WS_CLOSE.replaced, 'replaced by a newer connection of the same viber');
    }
    this.#deps.dispatch.opened(connection);
    this.#deps.log.info({ viberId, version: version?.slice(0, 100), extensions }, 'viber connected');
    // One set of listeners for every socket (a gateway holds thousands): each finds its connection.
    (ws as ConnectedSocket)[CONNECTION] = connection;
    ws.on('message', this.#onMessage);
    ws.on('error', onSocketError);
    ws.on('close', this.#onSocketClose);
  }

  #onFrame(connection: ViberConnection, data: RawData, isBinary: boolean): void {
    connection.lastSeenAt = Date.now();
    if (isBinary) {
      // Terminal output of a daemon that negotiated `terminal-binary`; nothing else is binary.
      if (this.#deps.dispatch.dispatchBinary(connection, data)) return;
      connection.send({
        type: 'error',
        code: 'bad_request',
        message: 'binary frames are not accepted: send JSON text',
      });
      return;
    }
    const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : data.toString();
    if (!connection.numbersEvents) {
      const decoded = decodeFrame(DocumentDaemonMessageSchema, text, LIMITS.maxFrameBytes);
      if (decoded.ok) this.#deps.dispatch.dispatchDocument(connection, decoded.value);
      else this.#refuse(connection, text, decoded);
      return;
    }
    const decoded = decodeDaemonFrame(text);
    if (decoded.ok) this.#deps.dispatch.dispatch(connection, decoded.value);
    else this.#refuse(connection, text, decoded);
  }

  /**
   * A bad frame is answered with a precise error and the connection kept. A refused task event
   * also gets an error event stored at its seq, in order with the connection's other events, so
   * it is acknowledged and never resent, and its task (and every other) carries on.
   */
  #refuse(connection: ViberConnection, text: string, refusal: Extract<DecodeResult<unknown>, { ok: false }>) {
    const { code, message } = refusal;
    if (!connection.numbersEvents) {
      const standIn = documentStandIn(text, refusal);
      connection.log.warn({ code, taskId: standIn?.taskId }, `bad frame: ${message}`);
      connection.send({ type: 'error', code, message, ...(standIn ? { taskId: standIn.taskId } : {}) });
      if (standIn) this.#deps.dispatch.enqueueUnnumbered(connection, standIn);
      return;
    }
    const standIn = standInForRefused(text, refusal);
    if (!standIn) {
      connection.log.warn({ code }, `bad frame: ${message}`);
      connection.send({ type: 'error', code, message });
      return;
    }
    const { taskId, seq } = standIn;
    connection.log.warn(
      { code, taskId, seq },
      `task event refused; an error event takes its place: ${message}`,
    );
    connection.send({ type: 'error', code, message, taskId });
    this.#deps.dispatch.enqueueTaskEvent(connection, standIn);
  }

  #onClose(ws: WebSocket, connection: ViberConnection, code: number): void {
    this.#open.delete(ws);
    connection.closed = true;
    if (connection.deviceId) this.#deps.deviceSockets.unregister(connection.deviceId, connection);
    if (!this.#deps.connections.remove(connection)) return;
    connection.log.info({ code }, 'viber disconnected');
    this.#deps.dispatch.closed(connection, this.#closing);
  }

  /**
   * Closes every daemon connection (they reconnect to the next gateway), waits briefly for the
   * close handshakes, then for every frame already received to be handled.
   */
  async close(): Promise<void> {
    this.#closing = true;
    const open = [...this.#open];
    const closed = open.map(
      ([ws, connection]) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === WebSocket.CLOSED) return resolve();
          ws.once('close', () => resolve());
          connection.close(WS_CLOSE.goingAway, 'gateway shutting down');
        }),
    );
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, 1_000).unref());
    await Promise.race([Promise.all(closed), timeout]);
    for (const [ws] of open) ws.terminate();
    await Promise.all(open.map(([, connection]) => connection.idle()));
    this.#wss.close();
  }
}
