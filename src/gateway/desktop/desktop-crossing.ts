import type { Logger } from '../../core/logger.ts';
import { type DesktopInboxMessage, gatewayInbox, VIBER_LOCATIONS } from '../bus/gateway-topics.ts';
import type { TopicBus } from '../bus/topic-bus.ts';
import type { CrossingView, DesktopRelayCrossing } from './desktop-crossing-port.ts';
import type { DesktopViewRelay } from './desktop-view-relay.ts';

/** What a viewer is told when the gateway holding its viber stops being there for it. */
export const DESKTOP_HOLDER_WENT_AWAY = 'the gateway holding this viber went away';

/** Which other gateway holds a viber's socket (ViberLocations). */
export interface Whereabouts {
  where(viberId: string): string | undefined;
}

export interface DesktopCrossingOptions {
  bus: TopicBus;
  gatewayId: string;
  relay: DesktopViewRelay;
  locations: Whereabouts;
  /** The heartbeat interval: open views are said to be alive this often, and forgotten after three. */
  refreshMs: number;
  log: Logger;
}

type Message<T extends DesktopInboxMessage['type']> = Extract<DesktopInboxMessage, { type: T }>;

/**
 * Live desktop views across gateways (docs/deploy.md, "Scale-out"), as terminal-crossing.ts does
 * for terminals, through each gateway's inbox on the bus:
 * - for its viewers, a view of a viber another gateway holds keeps the viewer's socket here: the
 *   RFB input filter and take-over (terminals.write) are applied here, and the filtered bytes,
 *   the opening and the closing go to the holder's inbox. The viber's bytes come back one message
 *   per daemon frame. When the holder goes away (the viber's location expires or moves) the view
 *   closes, saying so.
 * - for the vibers it holds, it opens the VNC connection on the viber for a view of another
 *   gateway, and closes it when that gateway says the view closed, or stops saying it is open.
 */
export class DesktopCrossing implements DesktopRelayCrossing {
  readonly #options: DesktopCrossingOptions;
  readonly #log: Logger;
  /** This gateway's views through other gateways: view id → viber and holder. */
  readonly #away = new Map<string, { viberId: string; holder: string }>();
  /** Views of other gateways' viewers served here, by view id. */
  readonly #served = new Map<string, { from: string; heardAt: number }>();
  #timer: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;

  constructor(options: DesktopCrossingOptions) {
    this.#options = options;
    this.#log = options.log;
  }

  start(): void {
    const { bus, gatewayId } = this.#options;
    const inbox = bus.subscribe(gatewayInbox(gatewayId), (message) => {
      if (message.type.startsWith('desktop.')) this.#received(message as DesktopInboxMessage);
    });
    // A viber said to be on another gateway than the one serving its views here: it moved.
    const moved = bus.subscribe(VIBER_LOCATIONS, (notice) => {
      if (notice.gatewayId !== gatewayId && this.#away.size > 0) queueMicrotask(() => this.#checkHolders());
    });
    this.#unsubscribe = () => {
      inbox();
      moved();
    };
    this.#timer = setInterval(() => this.#tick(), this.#options.refreshMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#unsubscribe?.();
  }

  where(viberId: string): string | undefined {
    return this.#options.locations.where(viberId);
  }

  open(view: CrossingView, holder: string): void {
    this.#away.set(view.id, { viberId: view.viberId, holder });
    this.#publish(holder, { type: 'desktop.open', from: '', viewId: view.id, viberId: view.viberId });
    this.#log.info(
      { viberId: view.viberId, view: view.id, gateway: holder },
      'desktop view through another gateway',
    );
  }

  input(view: CrossingView, data: string): void {
    const away = this.#away.get(view.id);
    if (away) this.#publish(away.holder, { type: 'desktop.input', from: '', viewId: view.id, data });
  }

  close(view: CrossingView): void {
    const away = this.#away.get(view.id);
    if (!away) return;
    this.#away.delete(view.id);
    this.#publish(away.holder, { type: 'desktop.close', from: '', viewId: view.id });
  }

  /** Views of other gateways' viewers served here (tests, metrics). */
  get servedViewCount(): number {
    return this.#served.size;
  }

  #publish(gatewayId: string, message: DesktopInboxMessage): void {
    this.#options.bus.publish(gatewayInbox(gatewayId), { ...message, from: this.#options.gatewayId });
  }

  #received(message: DesktopInboxMessage): void {
    switch (message.type) {
      case 'desktop.open':
        this.#onOpen(message);
        return;
      case 'desktop.input':
        if (this.#served.get(message.viewId)?.from === message.from)
          this.#options.relay.serveInput(message.viewId, message.data);
        return;
      case 'desktop.close':
        if (this.#served.get(message.viewId)?.from !== message.from) return;
        this.#served.delete(message.viewId);
        this.#options.relay.stopServing(message.viewId);
        return;
      case 'desktop.views-alive': {
        const now = Date.now();
        for (const viewId of message.viewIds) {
          const served = this.#served.get(viewId);
          if (served?.from === message.from) served.heardAt = now;
        }
        return;
      }
      case 'desktop.output':
        if (this.#away.get(message.viewId)?.holder === message.from)
          this.#options.relay.fromHolder(message.viewId, Buffer.from(message.data, 'base64'));
        return;
      case 'desktop.closed':
        if (this.#away.get(message.viewId)?.holder !== message.from) return;
        this.#away.delete(message.viewId);
        this.#options.relay.endRemote(message.viewId, message.reason);
        return;
    }
  }

  /** On the holder: a viewer of another gateway opens a view of a viber connected here. */
  #onOpen(message: Message<'desktop.open'>): void {
    const { from, viewId, viberId } = message;
    if (this.#served.has(viewId)) return;
    this.#served.set(viewId, { from, heardAt: Date.now() });
    const opened = this.#options.relay.serve({
      id: viewId,
      viberId,
      output: (bytes) =>
        this.#publish(from, {
          type: 'desktop.output',
          from: '',
          viewId,
          data: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'),
        }),
      closed: (reason) => {
        this.#served.delete(viewId);
        this.#publish(from, { type: 'desktop.closed', from: '', viewId, reason: reason.slice(0, 500) });
      },
    });
    if (opened) return;
    this.#served.delete(viewId);
    this.#publish(from, {
      type: 'desktop.closed',
      from: '',
      viewId,
      reason: `viber ${viberId} is not connected to the gateway it was said to be on`,
    });
  }

  /** Every heartbeat interval: forget silent served views, check holders, say which views are open. */
  #tick(): void {
    const now = Date.now();
    const silence = 3 * this.#options.refreshMs;
    for (const [viewId, served] of [...this.#served]) {
      if (now - served.heardAt <= silence) continue;
      this.#served.delete(viewId);
      this.#options.relay.stopServing(viewId);
      this.#log.info({ view: viewId, gateway: served.from }, 'desktop view of a silent gateway closed');
    }
    this.#checkHolders();
    const alive = new Map<string, string[]>();
    for (const [viewId, { holder }] of this.#away) {
      const ids = alive.get(holder) ?? [];
      ids.push(viewId);
      alive.set(holder, ids);
    }
    for (const [holder, viewIds] of alive)
      this.#publish(holder, { type: 'desktop.views-alive', from: '', viewIds });
  }

  /** Views whose viber is no longer where they were opened end, saying why. */
  #checkHolders(): void {
    const { locations, relay } = this.#options;
    for (const [viewId, { viberId, holder }] of [...this.#away]) {
      if (locations.where(viberId) === holder) continue;
      this.#away.delete(viewId);
      // The holder may still be there (the viber moved): it closes its VNC connection.
      this.#publish(holder, { type: 'desktop.close', from: '', viewId });
      relay.endRemote(viewId, DESKTOP_HOLDER_WENT_AWAY);
    }
  }
}
