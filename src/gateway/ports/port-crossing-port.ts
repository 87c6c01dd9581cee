import type { ListedPort } from '../../protocol/index.ts';
import type { PortFromViber, PortToViber } from '../bus/gateway-topics.ts';

/** A viber's ports as its relay lists them. */
export interface PortListing {
  ports: ListedPort[];
  unavailable?: string;
}

/** What the relay asks of the crossing (port-crossing.ts) for a viber another gateway holds. */
export interface PortRelayCrossing {
  /** The other gateway holding the viber's socket, if one does. */
  where(viberId: string): string | undefined;
  /** The viber's ports, listed by the holder; throws PortRelayError. */
  list(viberId: string, holder: string): Promise<PortListing>;
  /** An exchange of this gateway goes through `holder` from now on. */
  opened(exchangeId: string, viberId: string, holder: string): void;
  /** One of its messages for the viber. */
  toViber(holder: string, viberId: string, message: PortToViber): void;
  /** It ended here (answered, failed or cancelled): nothing more is said of it. */
  ended(exchangeId: string): void;
}

/** On the gateway holding a viber: an exchange of a client connected to another gateway. */
export interface ServedExchange {
  readonly id: string;
  readonly viberId: string;
  /** The viber's message for it: a response, an ack, done or failed. */
  report(message: PortFromViber): void;
  /** Answer or tunnel bytes, one daemon frame. */
  data(bytes: Uint8Array): void;
  /** The viber went away: the exchange is over, saying why. */
  gone(message: string): void;
}
