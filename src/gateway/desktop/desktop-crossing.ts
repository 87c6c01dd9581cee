import type { Logger } from '../../core/logger.ts';
import { CrossingLedger, type Whereabouts } from '../bus/crossing-ledger.ts';
import type { DesktopInboxMessage } from '../bus/gateway-topics.ts';
import type { TopicBus } from '../bus/topic-bus.ts';
import type { CrossingView, DesktopRelayCrossing } from './desktop-crossing-port.ts';
import type { DesktopViewRelay } from './desktop-view-relay.ts';

export type { Whereabouts } from '../bus/crossing-ledger.ts';

/** What a viewer is told when the gateway holding its viber stops being there for it. */
export const DESKTOP_HOLDER_WENT_AWAY = 'the gateway holding this viber went away';

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
 * The views away and served, their heartbeats and the holders' checks are the CrossingLedger's.
 */
export class DesktopCrossing implements DesktopRelayCrossing {
  readonly #options: DesktopCrossingOptions;
  readonly #log: Logger;
  /** Away: this gateway's views through other gateways; served: other gateways' views served here. */
  readonly #ledger: CrossingLedger<'desktop.', { viberId: string; holder: string }>;

  constructor(options: DesktopCrossingOptions) {
    this.#options = options;
    this.#log = options.log;
    this.#ledger = new CrossingLedger({
      ...options,
      prefix: 'desktop.',
      received: (message) => this.#received(message),
      servedSilent: (viewId, served) => {
        options.relay.stopServing(viewId);
        this.#log.info({ view: viewId, gateway: served.from }, 'desktop view of a silent gateway closed');
      },
      holderGone: (viewId, { holder }) => {
        // The holder may still be there (the viber moved): it closes its VNC connection.
        this.#ledger.publish(holder, { type: 'desktop.close', from: '', viewId });
        options.relay.endRemote(viewId, DESKTOP_HOLDER_WENT_AWAY);
      },
      sayAlive: (holder, viewIds) =>
        this.#ledger.publish(holder, { type: 'desktop.views-alive', from: '', viewIds }),
    });
  }

  start(): void {
    this.#ledger.start();
  }

  stop(): void {
    this.#ledger.stop();
  }

  where(viberId: string): string | undefined {
    return this.#options.locations.where(viberId);
  }

  open(view: CrossingView, holder: string): void {
    this.#ledger.away.set(view.id, { viberId: view.viberId, holder });
    this.#ledger.publish(holder, { type: 'desktop.open', from: '', viewId: view.id, viberId: view.viberId });
    this.#log.info(
      { viberId: view.viberId, view: view.id, gateway: holder },
      'desktop view through another gateway',
    );
  }

  input(view: CrossingView, data: string): void {
    const away = this.#ledger.away.get(view.id);
    if (away) this.#ledger.publish(away.holder, { type: 'desktop.input', from: '', viewId: view.id, data });
  }

  close(view: CrossingView): void {
    const away = this.#ledger.away.get(view.id);
    if (!away) return;
    this.#ledger.away.delete(view.id);
    this.#ledger.publish(away.holder, { type: 'desktop.close', from: '', viewId: view.id });
  }

  /** Views of other gateways' viewers served here (tests, metrics). */
  get servedViewCount(): number {
    return this.#ledger.served.size;
  }

  #received(message: DesktopInboxMessage): void {
    const ledger = this.#ledger;
    switch (message.type) {
      case 'desktop.open':
        this.#onOpen(message);
        return;
      case 'desktop.input':
        if (ledger.servedFor(message.viewId, message.from))
          this.#options.relay.serveInput(message.viewId, message.data);
        return;
      case 'desktop.close':
        if (!ledger.servedFor(message.viewId, message.from)) return;
        ledger.served.delete(message.viewId);
        this.#options.relay.stopServing(message.viewId);
        return;
      case 'desktop.views-alive':
        ledger.heard(message.from, message.viewIds);
        return;
      case 'desktop.output':
        if (ledger.awayAt(message.viewId, message.from))
          this.#options.relay.fromHolder(message.viewId, Buffer.from(message.data, 'base64'));
        return;
      case 'desktop.closed':
        if (!ledger.awayAt(message.viewId, message.from)) return;
        ledger.away.delete(message.viewId);
        this.#options.relay.endRemote(message.viewId, message.reason);
        return;
    }
  }

  /** On the holder: a viewer of another gateway opens a view of a viber connected here. */
  #onOpen(message: Message<'desktop.open'>): void {
    const { from, viewId, viberId } = message;
    const ledger = this.#ledger;
    if (ledger.served.has(viewId)) return;
    ledger.served.set(viewId, { from, heardAt: Date.now() });
    const opened = this.#options.relay.serve({
      id: viewId,
      viberId,
      output: (bytes) =>
        ledger.publish(from, {
          type: 'desktop.output',
          from: '',
          viewId,
          data: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'),
        }),
      closed: (reason) => {
        ledger.served.delete(viewId);
        ledger.publish(from, { type: 'desktop.closed', from: '', viewId, reason: reason.slice(0, 500) });
      },
    });
    if (opened) return;
    ledger.served.delete(viewId);
    ledger.publish(from, {
      type: 'desktop.closed',
      from: '',
      viewId,
      reason: `viber ${viberId} is not connected to the gateway it was said to be on`,
    });
  }
}
