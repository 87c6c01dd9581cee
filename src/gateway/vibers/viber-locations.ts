import type { Logger } from '../../core/logger.ts';
import { CHANGES, VIBER_LOCATIONS, type ViberLocation } from '../bus/gateway-topics.ts';
import type { TopicBus } from '../bus/topic-bus.ts';
import type { ConnectionRegistry } from './connection-registry.ts';

/**
 * Which vibers are connected to the other gateways on this bus (scale-out, docs/gateway.md). Each
 * gateway announces the vibers it holds when they connect and leave, and again every `refreshMs`;
 * a viber heard of elsewhere counts as online for three refreshes after the last notice, so the
 * vibers of a gateway that died go offline here on their own, and come back as soon as they
 * reconnect to a live gateway. With the in-process bus nothing else is heard: only the local
 * registry counts.
 */
export class ViberLocations {
  readonly #bus: TopicBus;
  readonly #gatewayId: string;
  readonly #connections: ConnectionRegistry;
  readonly #refreshMs: number;
  readonly #log: Logger;
  readonly #elsewhere = new Map<string, { gatewayId: string; seenAt: number }>();
  #timer: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;

  constructor(options: {
    bus: TopicBus;
    gatewayId: string;
    connections: ConnectionRegistry;
    refreshMs: number;
    log: Logger;
  }) {
    this.#bus = options.bus;
    this.#gatewayId = options.gatewayId;
    this.#connections = options.connections;
    this.#refreshMs = options.refreshMs;
    this.#log = options.log;
  }

  start(): void {
    const unheard = this.#bus.subscribe(VIBER_LOCATIONS, (notice) => this.#heard(notice));
    // Back from a cut-off bus: the others may have missed where this gateway's vibers are.
    const resynced = this.#bus.subscribe(CHANGES, (change) => {
      if (change.type === 'bus.resynced') this.#announceAll();
    });
    this.#unsubscribe = () => {
      unheard();
      resynced();
    };
    this.#timer = setInterval(() => this.#announceAll(), this.#refreshMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#unsubscribe?.();
  }

  connected(viberId: string): void {
    this.#elsewhere.delete(viberId);
    this.#announce('viber.here', viberId);
  }

  disconnected(viberId: string): void {
    this.#announce('viber.gone', viberId);
  }

  /** Connected to another gateway, as last heard within three refreshes. */
  isElsewhere(viberId: string): boolean {
    const seen = this.#elsewhere.get(viberId);
    if (!seen) return false;
    if (Date.now() - seen.seenAt <= 3 * this.#refreshMs) return true;
    this.#elsewhere.delete(viberId);
    return false;
  }

  /** The gateway holding the viber's socket, when another one does (as `isElsewhere` says). */
  where(viberId: string): string | undefined {
    return this.isElsewhere(viberId) ? this.#elsewhere.get(viberId)?.gatewayId : undefined;
  }

  #announceAll(): void {
    for (const connection of this.#connections.all()) this.#announce('viber.here', connection.viberId);
  }

  #announce(type: ViberLocation['type'], viberId: string): void {
    this.#bus.publish(VIBER_LOCATIONS, { type, viberId, gatewayId: this.#gatewayId });
  }

  #heard(notice: ViberLocation): void {
    if (notice.gatewayId === this.#gatewayId) return;
    if (notice.type === 'viber.here') {
      // A viber can hold only one socket: a newer one elsewhere replaces any here.
      const local = this.#connections.get(notice.viberId);
      if (local)
        this.#log.info(
          { viberId: notice.viberId, gateway: notice.gatewayId },
          'viber connected elsewhere too',
        );
      this.#elsewhere.set(notice.viberId, { gatewayId: notice.gatewayId, seenAt: Date.now() });
      return;
    }
    if (this.#elsewhere.get(notice.viberId)?.gatewayId === notice.gatewayId)
      this.#elsewhere.delete(notice.viberId);
  }
}
