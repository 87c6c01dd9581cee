import type { Logger } from '../../core/logger.ts';
import { type GatewayInboxMessage, gatewayInbox, VIBER_LOCATIONS } from './gateway-topics.ts';
import type { TopicBus } from './topic-bus.ts';

/** Which other gateway holds a viber's socket (ViberLocations). */
export interface Whereabouts {
  where(viberId: string): string | undefined;
}

/** Something of this gateway's (a view, an exchange) that goes through the gateway holding its viber. */
export interface AwayEntry {
  readonly viberId: string;
  readonly holder: string;
}

/** Something the holder serves for another gateway, and when that gateway last said it is still there. */
export interface ServedEntry {
  readonly from: string;
  heardAt: number;
}

type InboxMessage<P extends string> = Extract<GatewayInboxMessage, { type: `${P}${string}` }>;

export interface CrossingLedgerOptions<P extends string, A extends AwayEntry> {
  bus: TopicBus;
  gatewayId: string;
  locations: Whereabouts;
  /** The heartbeat interval: what is open is said to be alive this often, and forgotten after three. */
  refreshMs: number;
  /** This crossing's inbox messages are those whose type starts with it (`desktop.`, `port.`). */
  prefix: P;
  received(message: InboxMessage<P>): void;
  /** Served for a gateway silent for three refreshes: it is gone, so is what it asked for. */
  servedSilent(id: string, served: ServedEntry): void;
  /** Its viber is no longer where it was opened (the holder died, or the viber moved). */
  holderGone(id: string, away: A): void;
  /** Tell `holder` these are still open (its `*-alive` message). */
  sayAlive(holder: string, ids: string[]): void;
  log: Logger;
}

/**
 * The bookkeeping every crossing through the gateways' inboxes shares (desktop-crossing.ts,
 * port-crossing.ts): on the gateway of the client, what goes `away` to a holder, ended when the
 * viber's location stops naming that holder; on the holder, what it `served` for another gateway,
 * ended when that gateway stops saying it is alive. Each heartbeat interval it forgets the silent,
 * checks the holders and says what is alive; a location notice checks the holders at once.
 */
export class CrossingLedger<P extends string, A extends AwayEntry> {
  readonly away = new Map<string, A>();
  readonly served = new Map<string, ServedEntry>();
  readonly #options: CrossingLedgerOptions<P, A>;
  #timer: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;

  constructor(options: CrossingLedgerOptions<P, A>) {
    this.#options = options;
  }

  start(): void {
    const { bus, gatewayId, prefix } = this.#options;
    const inbox = bus.subscribe(gatewayInbox(gatewayId), (message) => {
      if (message.type.startsWith(prefix)) this.#options.received(message as InboxMessage<P>);
    });
    // A viber said to be on another gateway than the one serving it here: it moved.
    const moved = bus.subscribe(VIBER_LOCATIONS, (notice) => {
      if (notice.gatewayId !== gatewayId && this.away.size > 0) queueMicrotask(() => this.checkHolders());
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

  /** Sends `message` to `gatewayId`'s inbox, from this gateway. */
  publish(gatewayId: string, message: InboxMessage<P>): void {
    this.#options.bus.publish(gatewayInbox(gatewayId), { ...message, from: this.#options.gatewayId });
  }

  /** The entry `id` went away to `holder`, or undefined (a message from another gateway is not for it). */
  awayAt(id: string, holder: string): A | undefined {
    const away = this.away.get(id);
    return away?.holder === holder ? away : undefined;
  }

  /** Whether `id` is served here for `from`. */
  servedFor(id: string, from: string): boolean {
    return this.served.get(id)?.from === from;
  }

  /** `from` says these are still open. */
  heard(from: string, ids: readonly string[]): void {
    const now = Date.now();
    for (const id of ids) {
      const served = this.served.get(id);
      if (served?.from === from) served.heardAt = now;
    }
  }

  /** Away entries whose viber is no longer on their holder end. */
  checkHolders(): void {
    for (const [id, away] of [...this.away]) {
      if (this.#options.locations.where(away.viberId) === away.holder) continue;
      this.away.delete(id);
      this.#options.holderGone(id, away);
    }
  }

  #tick(): void {
    const now = Date.now();
    const silence = 3 * this.#options.refreshMs;
    for (const [id, served] of [...this.served]) {
      if (now - served.heardAt <= silence) continue;
      this.served.delete(id);
      this.#options.servedSilent(id, served);
    }
    this.checkHolders();
    const alive = new Map<string, string[]>();
    for (const [id, { holder }] of this.away) {
      const ids = alive.get(holder) ?? [];
      ids.push(id);
      alive.set(holder, ids);
    }
    for (const [holder, ids] of alive) this.#options.sayAlive(holder, ids);
  }
}
