import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Logger } from '../../core/logger.ts';
import { portsToViberSchemas } from '../../protocol/index.ts';
import { type AwayEntry, CrossingLedger, type Whereabouts } from '../bus/crossing-ledger.ts';
import type { PortInboxMessage, PortToViber } from '../bus/gateway-topics.ts';
import type { TopicBus } from '../bus/topic-bus.ts';
import type { PortListing, PortRelayCrossing } from './port-crossing-port.ts';
import { LIST_TIMEOUT_MS, type PortRelay, PortRelayError } from './port-relay.ts';

/** The holder's relay answers a listing within LIST_TIMEOUT_MS; this fires only when the whole gateway is silent. */
const LIST_ANSWER_TIMEOUT_MS = LIST_TIMEOUT_MS + 5_000;

/** What a client is told when the gateway holding the viber stops being there for its exchange. */
export const portHolderWentAway = (viberId: string) => `the gateway holding viber ${viberId} went away`;

/** The exchange messages a holder passes to its viber: checked here, as the daemon's socket would. */
const PortToViberSchema = z.union(portsToViberSchemas);

export interface PortCrossingOptions {
  bus: TopicBus;
  gatewayId: string;
  relay: PortRelay;
  locations: Whereabouts;
  /** The heartbeat interval: open exchanges are said to be alive this often, and cancelled after three. */
  refreshMs: number;
  /** How long a listing waits for a holder that says nothing (LIST_ANSWER_TIMEOUT_MS). */
  listTimeoutMs?: number;
  log: Logger;
}

type Message<T extends PortInboxMessage['type']> = Extract<PortInboxMessage, { type: T }>;

/** A listing this gateway waits on from a holder. */
interface ListWait {
  resolve(listing: PortListing): void;
  reject(error: PortRelayError): void;
  timer: NodeJS.Timeout;
}

/**
 * Ports across gateways (docs/ports.md, "Several gateways"), through each gateway's inbox on the
 * bus as desktop-crossing.ts does for desktop views:
 * - for its clients, a listing or an exchange (an HTTP request, a WebSocket tunnel) of a viber
 *   another gateway holds is sent to the holder's inbox, after the link was checked and the
 *   request filtered here: neither the link's token nor the gateway's cookie or bearer token ever
 *   travels. The exchange keeps its window: the viber's acknowledgements and this gateway's
 *   credits cross too, so a slow client still slows the service. When the holder goes away (the
 *   viber's location expires or moves) the exchange fails, saying so.
 * - for the vibers it holds, it passes another gateway's exchange messages to the viber and the
 *   viber's answers (one message per daemon frame) back, and cancels the exchange when that
 *   gateway stops saying it is open.
 */
export class PortCrossing implements PortRelayCrossing {
  readonly #options: PortCrossingOptions;
  readonly #log: Logger;
  /** Away: exchanges and listings of this gateway through holders; served: other gateways' exchanges. */
  readonly #ledger: CrossingLedger<'port.', AwayEntry>;
  /** The listings among the away entries, by request id. */
  readonly #lists = new Map<string, ListWait>();

  constructor(options: PortCrossingOptions) {
    this.#options = options;
    this.#log = options.log;
    this.#ledger = new CrossingLedger({
      ...options,
      prefix: 'port.',
      received: (message) => this.#received(message),
      servedSilent: (exchangeId, served) => {
        options.relay.stopServing(exchangeId);
        this.#log.info({ exchangeId, gateway: served.from }, 'port exchange of a silent gateway cancelled');
      },
      holderGone: (id, { viberId, holder }) => {
        const list = this.#lists.get(id);
        if (list) {
          this.#settleList(id);
          list.reject(new PortRelayError(503, portHolderWentAway(viberId)));
          return;
        }
        // The holder may still be there (the viber moved): it cancels the exchange on the viber.
        this.#ledger.publish(holder, {
          type: 'port.to-viber',
          from: '',
          viberId,
          message: { type: 'port:cancel', exchangeId: id },
        });
        options.relay.endRemote(id, portHolderWentAway(viberId));
      },
      sayAlive: (holder, ids) => {
        const exchangeIds = ids.filter((id) => !this.#lists.has(id));
        if (exchangeIds.length > 0)
          this.#ledger.publish(holder, { type: 'port.exchanges-alive', from: '', exchangeIds });
      },
    });
  }

  start(): void {
    this.#ledger.start();
  }

  stop(): void {
    this.#ledger.stop();
    for (const [requestId, list] of [...this.#lists]) {
      this.#settleList(requestId);
      list.reject(new PortRelayError(503, 'the gateway is closing'));
    }
  }

  where(viberId: string): string | undefined {
    return this.#options.locations.where(viberId);
  }

  list(viberId: string, holder: string): Promise<PortListing> {
    const requestId = randomUUID();
    return new Promise<PortListing>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#settleList(requestId);
        reject(new PortRelayError(504, `the gateway holding viber ${viberId} did not answer`));
      }, this.#options.listTimeoutMs ?? LIST_ANSWER_TIMEOUT_MS);
      timer.unref();
      this.#lists.set(requestId, { resolve, reject, timer });
      this.#ledger.away.set(requestId, { viberId, holder });
      this.#ledger.publish(holder, { type: 'port.list', from: '', requestId, viberId });
    });
  }

  opened(exchangeId: string, viberId: string, holder: string): void {
    this.#ledger.away.set(exchangeId, { viberId, holder });
    this.#log.debug({ viberId, exchangeId, gateway: holder }, 'port exchange through another gateway');
  }

  toViber(holder: string, viberId: string, message: PortToViber): void {
    this.#ledger.publish(holder, { type: 'port.to-viber', from: '', viberId, message });
  }

  ended(exchangeId: string): void {
    this.#ledger.away.delete(exchangeId);
  }

  /** Exchanges of other gateways' clients served here (tests, metrics). */
  get servedCount(): number {
    return this.#ledger.served.size;
  }

  #settleList(requestId: string): void {
    const list = this.#lists.get(requestId);
    if (list) clearTimeout(list.timer);
    this.#lists.delete(requestId);
    this.#ledger.away.delete(requestId);
  }

  #received(message: PortInboxMessage): void {
    const { relay } = this.#options;
    const ledger = this.#ledger;
    switch (message.type) {
      case 'port.list':
        void this.#onList(message);
        return;
      case 'port.listed': {
        const list = this.#lists.get(message.requestId);
        if (!list || !ledger.awayAt(message.requestId, message.from)) return;
        this.#settleList(message.requestId);
        if (message.failure)
          list.reject(new PortRelayError(relayStatus(message.failure.status), message.failure.message));
        else
          list.resolve({
            ports: message.ports,
            ...(message.unavailable ? { unavailable: message.unavailable } : {}),
          });
        return;
      }
      case 'port.to-viber':
        this.#onToViber(message);
        return;
      case 'port.exchanges-alive':
        ledger.heard(message.from, message.exchangeIds);
        return;
      case 'port.from-viber':
        if (ledger.awayAt(message.message.exchangeId, message.from))
          relay.fromHolder(message.from, message.message);
        return;
      case 'port.data':
        if (ledger.awayAt(message.exchangeId, message.from))
          relay.dataFromHolder(message.from, message.exchangeId, Buffer.from(message.data, 'base64'));
        return;
      case 'port.gone':
        if (!ledger.awayAt(message.exchangeId, message.from)) return;
        ledger.away.delete(message.exchangeId);
        relay.endRemote(message.exchangeId, message.message);
        return;
    }
  }

  /** On the holder: another gateway asks for the ports of a viber connected here. */
  async #onList(message: Message<'port.list'>): Promise<void> {
    const { from, requestId, viberId } = message;
    try {
      const listing = await this.#options.relay.listHere(viberId);
      this.#ledger.publish(from, { type: 'port.listed', from: '', requestId, ...listing });
    } catch (error) {
      const failure =
        error instanceof PortRelayError
          ? { status: error.status, message: error.message }
          : { status: 502, message: `viber ${viberId}'s ports could not be listed` };
      if (!(error instanceof PortRelayError)) this.#log.error({ err: error, viberId }, 'port listing failed');
      this.#ledger.publish(from, { type: 'port.listed', from: '', requestId, ports: [], failure });
    }
  }

  /** On the holder: an exchange message of another gateway's client for a viber connected here. */
  #onToViber(envelope: Message<'port.to-viber'>): void {
    const { from, viberId } = envelope;
    const parsed = PortToViberSchema.safeParse(envelope.message);
    if (!parsed.success || parsed.data.type === 'ports:list') {
      this.#log.warn({ gateway: from, viberId }, 'ignored a malformed port message from another gateway');
      return;
    }
    const message = parsed.data;
    const { exchangeId } = message;
    const ledger = this.#ledger;
    if (message.type !== 'port:request') {
      if (!ledger.servedFor(exchangeId, from)) return;
      if (message.type === 'port:cancel') ledger.served.delete(exchangeId);
      this.#options.relay.serveMessage(exchangeId, message);
      return;
    }
    if (ledger.served.has(exchangeId)) return;
    ledger.served.set(exchangeId, { from, heardAt: Date.now() });
    const served = this.#options.relay.serve(
      {
        id: exchangeId,
        viberId,
        report: (report) => {
          if (report.type === 'port:done' || report.type === 'port:failed') ledger.served.delete(exchangeId);
          ledger.publish(from, { type: 'port.from-viber', from: '', message: report });
        },
        data: (bytes) =>
          ledger.publish(from, {
            type: 'port.data',
            from: '',
            exchangeId,
            data: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'),
          }),
        gone: (reason) => {
          ledger.served.delete(exchangeId);
          ledger.publish(from, { type: 'port.gone', from: '', exchangeId, message: reason.slice(0, 500) });
        },
      },
      message,
    );
    if (served) return;
    ledger.served.delete(exchangeId);
    ledger.publish(from, {
      type: 'port.gone',
      from: '',
      exchangeId,
      message: `viber ${viberId} is not connected to the gateway it was said to be on`,
    });
  }
}

function relayStatus(status: number): 404 | 502 | 503 | 504 {
  return status === 404 || status === 503 || status === 504 ? status : 502;
}
