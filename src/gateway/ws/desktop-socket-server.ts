import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket, { type RawData, WebSocketServer } from 'ws';
import type { Logger } from '../../core/logger.ts';
import {
  type DesktopAccess,
  DesktopClientMessageSchema,
  type DesktopServerMessage,
  DesktopSocketQuerySchema,
  decodeFrame,
  describeZodError,
  REST_ROUTES,
  WS_CLOSE,
} from '../../protocol/index.ts';
import type { DeviceSockets } from '../auth/device-sockets.ts';
import type { DeviceService } from '../auth/devices.ts';
import type { GatewayAuth } from '../auth/gateway-auth.ts';
import { missingScope, type Principal } from '../auth/principal.ts';
import type { DesktopView, DesktopViewRelay } from '../desktop/desktop-view-relay.ts';
import { scopeRefusal } from '../http/request-auth.ts';
import { acceptSignedUpgrade } from './signed-socket-upgrade.ts';
import { SocketPinger } from './socket-pinger.ts';

const ROUTE = REST_ROUTES['desktop.socket'];
/** RFB bytes from a viewer arrive in small frames; a clipboard paste is the largest. */
const MAX_VIEWER_FRAME_BYTES = 2 * 1024 * 1024;
const MAX_CONTROL_FRAME_BYTES = 1024;
const PING_INTERVAL_MS = 30_000;

export interface DesktopSocketOptions {
  auth: GatewayAuth;
  devices: DeviceService;
  deviceSockets: DeviceSockets;
  relay: DesktopViewRelay;
  log: Logger;
}

/**
 * The viewer-facing desktop socket (`desktop.socket`): the same opening as the terminal socket,
 * then one live view of one viber's desktop. Binary frames are RFB bytes for the relay; text
 * frames take over and release control, which needs terminals.write at the moment it is asked.
 */
export class DesktopSocketServer {
  readonly path = ROUTE.path;
  readonly #options: DesktopSocketOptions;
  readonly #wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_VIEWER_FRAME_BYTES,
    perMessageDeflate: false,
    clientTracking: true,
  });
  readonly #pinger = new SocketPinger(PING_INTERVAL_MS);
  #closing = false;

  constructor(options: DesktopSocketOptions) {
    this.#options = options;
  }

  matches(request: IncomingMessage): boolean {
    return (request.url ?? '/').split('?')[0] === this.path;
  }

  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const params = Object.fromEntries(new URL(request.url ?? '/', 'http://gateway').searchParams);
    const query = DesktopSocketQuerySchema.safeParse(params);
    acceptSignedUpgrade<{ viberId: string; access: DesktopAccess }>(this.#wss, request, socket, head, {
      ...this.#options,
      what: 'desktop view',
      closing: this.#closing,
      authorize: (principal) => {
        if (!query.success) return { refused: `bad desktop view query: ${describeZodError(query.error)}` };
        const missing = missingScope(principal, ROUTE, { query: query.data, body: undefined });
        if (missing) return { refused: scopeRefusal(principal, missing) };
        return { granted: { viberId: query.data.viber, access: query.data.access ?? 'view' } };
      },
      accepted: (ws, principal, granted) => this.#accept(ws, principal, granted),
    });
  }

  async close(): Promise<void> {
    this.#closing = true;
    this.#pinger.stop();
    for (const ws of this.#wss.clients) ws.close(WS_CLOSE.goingAway, 'gateway shutting down');
    for (const ws of this.#wss.clients) ws.terminate();
    this.#wss.close();
  }

  #accept(ws: WebSocket, principal: Principal, granted: { viberId: string; access: DesktopAccess }): void {
    const { relay, log } = this.#options;
    this.#pinger.watch(ws);
    ws.on('error', (error) => log.debug({ err: error }, 'desktop viewer socket error'));
    // Bytes that arrive while the view opens wait for it, in order.
    const early: { data: RawData; isBinary: boolean }[] = [];
    let view: DesktopView | undefined;
    let closed = false;
    ws.on('message', (data, isBinary) => {
      if (view) this.#onFrame(view, principal, data, isBinary);
      else early.push({ data, isBinary });
    });
    ws.on('close', () => {
      closed = true;
      if (view) relay.viewerClosed(view);
    });
    relay
      .open(ws, granted.viberId, granted.access)
      .then((opened) => {
        if (!opened) return;
        view = opened;
        if (closed) return relay.viewerClosed(opened);
        for (const frame of early.splice(0)) this.#onFrame(opened, principal, frame.data, frame.isBinary);
      })
      .catch((error: unknown) => {
        log.error({ err: error }, 'desktop view could not open');
        send(ws, { type: 'desktop:error', code: 'internal', message: 'the desktop view could not open' });
        ws.close(1011, 'desktop view failed');
      });
  }

  #onFrame(view: DesktopView, principal: Principal, data: RawData, isBinary: boolean): void {
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
    if (isBinary) {
      this.#options.relay.fromViewer(view, bytes);
      return;
    }
    const decoded = decodeFrame(DesktopClientMessageSchema, bytes.toString('utf8'), MAX_CONTROL_FRAME_BYTES);
    if (!decoded.ok) {
      send(view.ws, { type: 'desktop:error', code: 'bad_request', message: decoded.message });
      return;
    }
    if (decoded.value.type === 'desktop:release') {
      this.#options.relay.setAccess(view, 'view');
      return;
    }
    const missing = missingScope(principal, ROUTE, { query: { access: 'control' }, body: undefined });
    if (missing) {
      send(view.ws, { type: 'desktop:error', code: 'forbidden', message: scopeRefusal(principal, missing) });
      return;
    }
    this.#options.relay.setAccess(view, 'control');
  }
}

function send(ws: WebSocket, message: DesktopServerMessage): void {
  if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
}
