import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type WebSocket from 'ws';
import type { WebSocketServer } from 'ws';
import type { Logger } from '../../core/logger.ts';
import { WS_CLOSE } from '../../protocol/index.ts';
import type { DeviceSockets } from '../auth/device-sockets.ts';
import type { DeviceService } from '../auth/devices.ts';
import type { GatewayAuth } from '../auth/gateway-auth.ts';
import type { Principal } from '../auth/principal.ts';
import { authenticateTerminalUpgrade } from '../terminals/terminal-access.ts';
import { truncateReason } from '../vibers/viber-connection.ts';
import { connectionSource, runConnectHandshake } from './connect-handshake.ts';

export interface SignedUpgradeOptions<T> {
  auth: GatewayAuth;
  devices: DeviceService;
  deviceSockets: DeviceSockets;
  log: Logger;
  /** What the socket is for, in log lines ("terminal", "desktop view"). */
  what: string;
  /** True once the server is closing: the upgrade is answered 503. */
  closing: boolean;
  /** What the authenticated principal may do here, or why it may not (a scope refusal). */
  authorize(principal: Principal): { granted: T } | { refused: string };
  accepted(ws: WebSocket, principal: Principal, granted: T): void;
}

/**
 * The opening every operator viewer socket shares (terminals, the desktop view): the upgrade's
 * cookie or bearer is authenticated (a cookie only from the gateway's own origin), the connect
 * handshake proves the device (and must be the upgrade's device when there was one), the scopes
 * decide, and the socket is counted as the device's so revoking it closes the socket.
 */
export function acceptSignedUpgrade<T>(
  wss: WebSocketServer,
  request: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  options: SignedUpgradeOptions<T>,
): void {
  socket.on('error', () => socket.destroy());
  if (options.closing) {
    socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  const { auth, devices, log } = options;
  const source = connectionSource(request);
  authenticateTerminalUpgrade(auth, request, source)
    .then((upgrade) => {
      wss.handleUpgrade(request, socket, head, (ws) => {
        if (upgrade && !upgrade.ok) {
          ws.close(
            upgrade.status === 403 ? WS_CLOSE.forbidden : WS_CLOSE.unauthorized,
            truncateReason(upgrade.message),
          );
          return;
        }
        const upgraded = upgrade?.principal;
        runConnectHandshake(ws, { devices, role: 'operator', source, log, ...(upgraded ? { upgraded } : {}) })
          .then((connected) => {
            if (!connected) return;
            const decided = options.authorize(connected.principal);
            if ('refused' in decided) {
              ws.close(WS_CLOSE.forbidden, truncateReason(decided.refused));
              return;
            }
            const forget = options.deviceSockets.add(connected.principal.deviceId, ws);
            ws.once('close', forget);
            options.accepted(ws, connected.principal, decided.granted);
          })
          .catch((error: unknown) => {
            log.error({ err: error }, `${options.what} handshake failed`);
            ws.terminate();
          });
      });
    })
    .catch((error: unknown) => {
      log.error({ err: error }, `${options.what} authentication failed`);
      socket.end('HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    });
}
