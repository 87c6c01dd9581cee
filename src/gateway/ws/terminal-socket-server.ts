import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket, { type RawData, WebSocketServer } from 'ws';
import type { Logger } from '../../core/logger.ts';
import {
  decodeFrame,
  type ErrorCode,
  LIMITS,
  TerminalClientMessageSchema,
  type TerminalErrorCode,
  WS_CLOSE,
} from '../../protocol/index.ts';
import type { DeviceSockets } from '../auth/device-sockets.ts';
import type { ConnectionSource, DeviceService } from '../auth/devices.ts';
import type { GatewayAuth } from '../auth/gateway-auth.ts';
import type { Principal } from '../auth/principal.ts';
import { scopeRefusal } from '../http/request-auth.ts';
import { authenticateTerminalUpgrade, terminalAccess } from '../terminals/terminal-access.ts';
import type { TerminalRelay } from '../terminals/terminal-relay.ts';
import { ViewerClient } from '../terminals/viewer-client.ts';
import { truncateReason } from '../vibers/viber-connection.ts';
import { connectionSource, runConnectHandshake } from './connect-handshake.ts';
import { SocketPinger } from './socket-pinger.ts';

/** A viewer frame: input is at most LIMITS.maxTerminalInputChars, JSON-escaped. */
const MAX_VIEWER_FRAME_BYTES = 256 * 1024;
const PING_INTERVAL_MS = 30_000;
const FRAME_ERROR_CODES: Partial<Record<ErrorCode, TerminalErrorCode>> = {
  invalid_json: 'bad_request',
  unknown_message: 'bad_request',
  payload_too_large: 'input_too_large',
};

export interface TerminalSocketOptions {
  auth: GatewayAuth;
  devices: DeviceService;
  deviceSockets: DeviceSockets;
  relay: TerminalRelay;
  log: Logger;
  /** terminalSocketPath(): the default, or OPENVIBER_TERMINAL_WS_PATH. */
  path: string;
}

/**
 * The viewer-facing terminal WebSocket: authenticates the upgrade like the REST API, decodes every
 * frame against the protocol (a bad one is answered, not fatal), and hands messages to the relay.
 */
export class TerminalSocketServer {
  readonly path: string;
  readonly #relay: TerminalRelay;
  readonly #options: TerminalSocketOptions;
  readonly #wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_VIEWER_FRAME_BYTES,
    perMessageDeflate: false,
    clientTracking: true,
  });
  readonly #pinger = new SocketPinger(PING_INTERVAL_MS);
  #nextId = 0;
  #closing = false;

  constructor(options: TerminalSocketOptions) {
    this.#options = options;
    this.path = options.path;
    this.#relay = options.relay;
  }

  /** True when this upgrade is for the terminal socket. */
  matches(request: IncomingMessage): boolean {
    return (request.url ?? '/').split('?')[0] === this.path;
  }

  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    if (this.#closing) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const query = new URL(request.url ?? '/', 'http://gateway').searchParams;
    const requested = query.get('access');
    const binaryOutput = query.get('output') === 'binary';
    const source = connectionSource(request);
    authenticateTerminalUpgrade(this.#options.auth, request, source)
      .then((upgrade) => {
        this.#wss.handleUpgrade(request, socket, head, (ws) => {
          if (upgrade && !upgrade.ok) {
            ws.close(
              upgrade.status === 403 ? WS_CLOSE.forbidden : WS_CLOSE.unauthorized,
              truncateReason(upgrade.message),
            );
            return;
          }
          this.#handshake(ws, source, { requested, binaryOutput }, upgrade?.principal);
        });
      })
      .catch((error: unknown) => {
        this.#options.log.error({ err: error }, 'terminal authentication failed');
        socket.end('HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      });
  }

  /** The connect handshake (the upgrade's cookie or bearer, if any, must be the signing device's). */
  #handshake(
    ws: WebSocket,
    source: ConnectionSource,
    asked: { requested: string | null; binaryOutput: boolean },
    upgraded?: Principal,
  ): void {
    const { requested, binaryOutput } = asked;
    const { devices, log } = this.#options;
    runConnectHandshake(ws, { devices, role: 'operator', source, log, ...(upgraded ? { upgraded } : {}) })
      .then((connected) => {
        if (!connected) return;
        const decided = terminalAccess(connected.principal, requested);
        if ('missing' in decided) {
          ws.close(WS_CLOSE.forbidden, truncateReason(scopeRefusal(connected.principal, decided.missing)));
          return;
        }
        const forget = this.#options.deviceSockets.add(connected.principal.deviceId, ws);
        ws.once('close', forget);
        this.#accept(ws, decided.access, binaryOutput);
      })
      .catch((error: unknown) => {
        log.error({ err: error }, 'terminal handshake failed');
        ws.terminate();
      });
  }

  async close(): Promise<void> {
    this.#closing = true;
    this.#pinger.stop();
    for (const ws of this.#wss.clients) ws.close(WS_CLOSE.goingAway, 'gateway shutting down');
    for (const ws of this.#wss.clients) ws.terminate();
    this.#wss.close();
  }

  #accept(ws: WebSocket, access: ViewerClient['access'], binaryOutput: boolean): void {
    this.#nextId += 1;
    const id = `tv${this.#nextId}`;
    const log = this.#options.log.child({ terminalViewer: id });
    const viewer = new ViewerClient(id, ws, access, log, binaryOutput);
    this.#pinger.watch(ws);
    ws.on('message', (data, isBinary) => this.#onFrame(viewer, data, isBinary));
    ws.on('error', (error) => viewer.log.debug({ err: error }, 'terminal viewer socket error'));
    ws.on('close', () => this.#relay.clientClosed(viewer));
    viewer.send({
      type: 'terminal:ready',
      access,
      maxInputChars: LIMITS.maxTerminalInputChars,
      ...(binaryOutput ? { output: 'binary' as const } : {}),
    });
    viewer.log.info({ access, binaryOutput }, 'terminal viewer connected');
  }

  #onFrame(viewer: ViewerClient, data: RawData, isBinary: boolean): void {
    if (isBinary) {
      viewer.send({
        type: 'terminal:error',
        code: 'bad_request',
        message: 'binary frames are not accepted: send JSON text',
      });
      return;
    }
    const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : data.toString();
    const decoded = decodeFrame(TerminalClientMessageSchema, text, MAX_VIEWER_FRAME_BYTES);
    if (!decoded.ok) {
      viewer.send({
        type: 'terminal:error',
        code: FRAME_ERROR_CODES[decoded.code] ?? 'validation_failed',
        message: decoded.message,
      });
      return;
    }
    try {
      this.#relay.handleClientMessage(viewer, decoded.value);
    } catch (error) {
      viewer.log.error({ err: error, type: decoded.value.type }, 'terminal request failed');
      viewer.send({
        type: 'terminal:error',
        code: 'internal',
        message: `${decoded.value.type} failed on the gateway`,
      });
    }
  }
}
