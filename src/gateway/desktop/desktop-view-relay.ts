import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import type { Logger } from '../../core/logger.ts';
import {
  type DaemonMessage,
  DESKTOP_VIEW_CAPABILITY,
  type DesktopAccess,
  type DesktopServerMessage,
  decodeDesktopFrame,
} from '../../protocol/index.ts';
import type { GatewayStore } from '../store/index.ts';
import type { ConnectionRegistry } from '../vibers/connection-registry.ts';
import type { DesktopRelayCrossing, ServedView } from './desktop-crossing-port.ts';
import { RfbInputFilter } from './rfb-input-filter.ts';

/** RFB bytes per `desktop:input`: base64 of 48 KiB fits the schema's 64 Ki characters. */
const INPUT_CHUNK_BYTES = 48 * 1024;
/** A viewer this far behind the screen is closed: VNC pulls updates, so only a stuck browser gets here. */
const MAX_VIEWER_BUFFERED_BYTES = 32 * 1024 * 1024;
/** A read-only viewer is told its input was dropped at most this often. */
const REFUSAL_INTERVAL_MS = 1_000;

type DesktopClosed = Extract<DaemonMessage, { type: 'desktop:closed' }>;

/** One open view: a viewer socket and the VNC connection its viber opened for it. */
export interface DesktopView {
  readonly id: string;
  readonly viberId: string;
  readonly ws: WebSocket;
  readonly filter: RfbInputFilter;
  lastRefusalAt: number;
  /** The other gateway holding the viber's socket, when this view goes through it. */
  readonly holder?: string;
}

/**
 * Relays live desktop views (desktop-view.ts) between viewer sockets and vibers: opens the VNC
 * connection on the viber, passes the server's bytes to the viewer as they come, and the viewer's
 * bytes to the viber through the RFB filter that keeps a read-only viewer's input off the desktop.
 */
export class DesktopViewRelay {
  readonly #views = new Map<string, DesktopView>();
  /** Views of viewers on other gateways, of vibers connected here (desktop-crossing.ts). */
  readonly #served = new Map<string, ServedView>();
  #crossing: DesktopRelayCrossing | undefined;
  readonly #connections: ConnectionRegistry;
  readonly #store: Pick<GatewayStore, 'getViber'>;
  readonly #log: Logger;

  constructor(connections: ConnectionRegistry, store: Pick<GatewayStore, 'getViber'>, log: Logger) {
    this.#connections = connections;
    this.#store = store;
    this.#log = log;
  }

  /** Several gateways: views of vibers held by another gateway go through it. */
  crossGateways(crossing: DesktopRelayCrossing): void {
    this.#crossing = crossing;
  }

  /** Opens a view of `viberId`'s desktop for this viewer, or tells it why not and closes it. */
  async open(ws: WebSocket, viberId: string, access: DesktopAccess): Promise<DesktopView | undefined> {
    const viber = await this.#store.getViber(viberId);
    if (!viber) return this.#refuse(ws, 'not_found', `no viber ${viberId} is registered`);
    const connection = this.#connections.get(viberId);
    const holder = connection ? undefined : this.#crossing?.where(viberId);
    if (!connection && holder === undefined)
      return this.#refuse(ws, 'viber_offline', `viber ${viberId} is not connected`);
    const capabilities = viber.info?.capabilities ?? [];
    if (!capabilities.includes(DESKTOP_VIEW_CAPABILITY)) {
      const why = viber.info?.unavailableCapabilities?.find(
        (entry) => entry.name === DESKTOP_VIEW_CAPABILITY,
      );
      return this.#refuse(
        ws,
        'not_supported',
        why
          ? `viber ${viberId} has no live desktop view: ${why.reason}`
          : `viber ${viberId} offers no live desktop view: start it with viber start --desktop --vnc`,
      );
    }
    if (ws.readyState !== WebSocket.OPEN) return undefined;
    const view: DesktopView = {
      id: randomUUID(),
      viberId,
      ws,
      filter: new RfbInputFilter(access),
      lastRefusalAt: 0,
      ...(holder !== undefined ? { holder } : {}),
    };
    this.#views.set(view.id, view);
    if (connection) connection.send({ type: 'desktop:open', viewId: view.id });
    else if (holder !== undefined) this.#crossing?.open(view, holder);
    send(ws, { type: 'desktop:ready', viberId, access });
    this.#log.info({ viberId, view: view.id, access }, 'desktop view opened');
    return view;
  }

  /** RFB bytes from the viewer: what the filter lets through goes to the viber. */
  fromViewer(view: DesktopView, bytes: Uint8Array): void {
    const result = view.filter.push(bytes);
    if (!result.ok) {
      this.#end(view, result.message, true);
      return;
    }
    if (result.droppedInput && Date.now() - view.lastRefusalAt >= REFUSAL_INTERVAL_MS) {
      view.lastRefusalAt = Date.now();
      send(view.ws, {
        type: 'desktop:refused',
        message: 'This is a read-only view: take over to use the mouse and keyboard.',
      });
    }
    const connection = view.holder === undefined ? this.#connections.get(view.viberId) : undefined;
    for (let at = 0; at < result.forward.length; at += INPUT_CHUNK_BYTES) {
      const chunk = result.forward.subarray(at, at + INPUT_CHUNK_BYTES);
      const data = Buffer.from(chunk).toString('base64');
      if (view.holder !== undefined) this.#crossing?.input(view, data);
      else connection?.send({ type: 'desktop:input', viewId: view.id, data });
    }
  }

  setAccess(view: DesktopView, access: DesktopAccess): void {
    view.filter.access = access;
    send(view.ws, { type: 'desktop:access', access });
    this.#log.info({ viberId: view.viberId, view: view.id, access }, 'desktop view access changed');
  }

  /** The viewer went away: the viber closes the VNC connection. */
  viewerClosed(view: DesktopView): void {
    if (!this.#views.delete(view.id)) return;
    this.#closeOnViber(view);
  }

  /** A binary frame from a viber; false when it is not a desktop frame. */
  handleDaemonFrame(viberId: string, frame: Uint8Array): boolean {
    const decoded = decodeDesktopFrame(frame);
    if (!decoded) return false;
    const served = this.#served.get(decoded.viewId);
    if (served) {
      if (served.viberId === viberId) served.output(decoded.data);
      return true;
    }
    const view = this.#views.get(decoded.viewId);
    // A frame for a view that already closed (or another viber's view) is dropped.
    if (!view || view.viberId !== viberId) return true;
    this.#toViewer(view, decoded.data);
    return true;
  }

  handleDaemonMessage(viberId: string, message: DesktopClosed): void {
    const served = this.#served.get(message.viewId);
    if (served && served.viberId === viberId) {
      this.#served.delete(served.id);
      served.closed(message.reason);
      return;
    }
    const view = this.#views.get(message.viewId);
    if (view && view.viberId === viberId) this.#end(view, message.reason, false);
  }

  viberDisconnected(viberId: string): void {
    for (const view of [...this.#views.values()]) {
      // A view through another gateway ends when that gateway says so, or goes away.
      if (view.viberId === viberId && view.holder === undefined)
        this.#end(view, 'the viber disconnected', false);
    }
    for (const served of [...this.#served.values()]) {
      if (served.viberId !== viberId) continue;
      this.#served.delete(served.id);
      served.closed('the viber disconnected');
    }
  }

  /** The viber's RFB bytes for a view held by another gateway, from that gateway. */
  fromHolder(viewId: string, bytes: Uint8Array): void {
    const view = this.#views.get(viewId);
    if (view?.holder !== undefined) this.#toViewer(view, bytes);
  }

  /** A view through another gateway ended there (or that gateway went away), saying why. */
  endRemote(viewId: string, reason: string): void {
    const view = this.#views.get(viewId);
    if (view?.holder !== undefined) this.#end(view, reason, false);
  }

  /** Opens a VNC connection on a viber connected here for a viewer of another gateway. */
  serve(view: ServedView): boolean {
    const connection = this.#connections.get(view.viberId);
    if (!connection || this.#views.has(view.id) || this.#served.has(view.id)) return false;
    this.#served.set(view.id, view);
    connection.send({ type: 'desktop:open', viewId: view.id });
    this.#log.info({ viberId: view.viberId, view: view.id }, 'desktop view of another gateway opened');
    return true;
  }

  /** Filtered RFB bytes (base64) from a viewer of another gateway, for the viber. */
  serveInput(viewId: string, data: string): void {
    const served = this.#served.get(viewId);
    if (served) this.#connections.get(served.viberId)?.send({ type: 'desktop:input', viewId, data });
  }

  /** The viewer of another gateway went away: the viber closes the VNC connection. */
  stopServing(viewId: string): void {
    const served = this.#served.get(viewId);
    if (!served) return;
    this.#served.delete(viewId);
    this.#connections.get(served.viberId)?.send({ type: 'desktop:close', viewId });
    this.#log.info({ viberId: served.viberId, view: viewId }, 'desktop view of another gateway closed');
  }

  #toViewer(view: DesktopView, bytes: Uint8Array): void {
    if (view.ws.bufferedAmount > MAX_VIEWER_BUFFERED_BYTES) {
      this.#end(view, 'the viewer fell too far behind the screen', true);
      return;
    }
    view.ws.send(bytes, { binary: true });
  }

  #closeOnViber(view: DesktopView): void {
    if (view.holder !== undefined) this.#crossing?.close(view);
    else this.#connections.get(view.viberId)?.send({ type: 'desktop:close', viewId: view.id });
  }

  #end(view: DesktopView, reason: string, tellViber: boolean): void {
    if (!this.#views.delete(view.id)) return;
    if (tellViber) this.#closeOnViber(view);
    send(view.ws, { type: 'desktop:closed', reason: reason.slice(0, 500) });
    view.ws.close(1000, 'desktop view closed');
    this.#log.info({ viberId: view.viberId, view: view.id, reason }, 'desktop view closed');
  }

  #refuse(
    ws: WebSocket,
    code: Extract<DesktopServerMessage, { type: 'desktop:error' }>['code'],
    message: string,
  ): undefined {
    send(ws, { type: 'desktop:error', code, message });
    ws.close(1000, 'desktop view refused');
    return undefined;
  }
}

function send(ws: WebSocket, message: DesktopServerMessage): void {
  if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
}

/** Whether a daemon message belongs to the desktop view. */
export function isDesktopMessage(message: DaemonMessage): message is DesktopClosed {
  return message.type === 'desktop:closed';
}
