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
import type { DeviceService } from '../auth/devices.ts';
import type { GatewayAuth } from '../auth/gateway-auth.ts';
import { scopeRefusal } from '../http/request-auth.ts';
import { terminalAccess } from '../terminals/terminal-access.ts';
import type { TerminalRelay } from '../terminals/terminal-relay.ts';
import { ViewerClient } from '../terminals/viewer-client.ts';
import { acceptSignedUpgrade } from './signed-socket-upgrade.ts';
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
    const query = new URL(request.url ?? '/', 'http://gateway').searchParams;
    const requested = query.get('access');
    const binaryOutput = query.get('output') === 'binary';
    acceptSignedUpgrade<ViewerClient['access']>(this.#wss, request, socket, head, {
      ...this.#options,
      what: 'terminal',
      closing: this.#closing,
      authorize: (principal) => {
        const decided = terminalAccess(principal, requested);
        if ('missing' in decided) return { refused: scopeRefusal(principal, decided.missing) };
        return { granted: decided.access };
      },
      accepted: (ws, _principal, access) => this.#accept(ws, access, binaryOutput),
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
