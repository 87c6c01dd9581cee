import { connect, type Socket } from 'node:net';
import type { Logger } from '../../core/logger.ts';
import {
  type DaemonMessage,
  encodeDesktopFrame,
  type GatewayMessage,
  MAX_DESKTOP_FRAME_BYTES,
} from '../../protocol/index.ts';

export type DesktopViewRequest = Extract<GatewayMessage, { type: `desktop:${string}` }>;

export interface DesktopViewLink {
  send(message: DaemonMessage): boolean;
  sendBinary(frame: Uint8Array): boolean;
  /** Bytes queued on the gateway link and not yet sent. */
  readonly bufferedBytes: number;
}

/** Above this much queued on the gateway link, reading from the VNC server pauses. */
const HIGH_WATER_BYTES = 4 * 1024 * 1024;
const RESUME_CHECK_MS = 20;

/**
 * The viber's end of live desktop views: one connection to the local VNC server per view the
 * gateway opens, its bytes sent up as binary frames and the viewer's bytes written down. Reading
 * pauses while the gateway link is behind, so a slow viewer slows the VNC server (which then
 * sends fewer, larger updates) rather than growing a queue here.
 */
export class DesktopViewBridge {
  readonly #views = new Map<string, Socket>();
  readonly #socketPath: string;
  readonly #link: DesktopViewLink;
  readonly #log: Logger;

  constructor(socketPath: string, link: DesktopViewLink, log: Logger) {
    this.#socketPath = socketPath;
    this.#link = link;
    this.#log = log;
  }

  handle(message: DesktopViewRequest): void {
    switch (message.type) {
      case 'desktop:open':
        this.#open(message.viewId);
        return;
      case 'desktop:input':
        this.#views.get(message.viewId)?.write(Buffer.from(message.data, 'base64'));
        return;
      case 'desktop:close':
        this.#views.get(message.viewId)?.destroy();
        this.#views.delete(message.viewId);
        return;
    }
  }

  /** The gateway link dropped: the gateway forgot every view, so they all end here. */
  closeAll(): void {
    for (const socket of this.#views.values()) socket.destroy();
    this.#views.clear();
  }

  #open(viewId: string): void {
    this.#views.get(viewId)?.destroy();
    const socket = connect(this.#socketPath);
    this.#views.set(viewId, socket);
    let failure: string | undefined;
    socket.on('data', (chunk: Buffer) => {
      for (let at = 0; at < chunk.length; at += MAX_DESKTOP_FRAME_BYTES) {
        this.#link.sendBinary(encodeDesktopFrame(viewId, chunk.subarray(at, at + MAX_DESKTOP_FRAME_BYTES)));
      }
      if (this.#link.bufferedBytes > HIGH_WATER_BYTES) this.#pauseUntilDrained(socket);
    });
    socket.on('error', (error) => {
      failure = `the VNC server cannot be reached: ${error.message}`;
    });
    socket.on('close', () => {
      // A view the gateway closed is already forgotten: nothing to tell it.
      if (this.#views.get(viewId) !== socket) return;
      this.#views.delete(viewId);
      const reason = failure ?? 'the VNC server closed the connection';
      this.#link.send({ type: 'desktop:closed', viewId, reason });
      this.#log.info({ viewId, reason }, 'desktop view closed');
    });
  }

  #pauseUntilDrained(socket: Socket): void {
    if (socket.isPaused()) return;
    socket.pause();
    const check = setInterval(() => {
      if (socket.destroyed || this.#link.bufferedBytes <= HIGH_WATER_BYTES / 2) {
        clearInterval(check);
        socket.resume();
      }
    }, RESUME_CHECK_MS);
  }
}

/** A viber without a VNC server answers every open with why (`viber start --desktop --vnc`). */
export function refuseDesktopView(message: DesktopViewRequest, send: (message: DaemonMessage) => void): void {
  if (message.type !== 'desktop:open') return;
  send({
    type: 'desktop:closed',
    viewId: message.viewId,
    reason: 'this viber runs no VNC server: start it with viber start --desktop --vnc',
  });
}
