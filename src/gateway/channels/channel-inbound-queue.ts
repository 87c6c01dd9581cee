import type { Logger } from '../../core/logger.ts';
import type { PendingInboundRecord } from '../store/channels-store.ts';
import type { ChannelRecord, GatewayStore } from '../store/index.ts';
import type { ChannelContext, InboundEvent } from './channel-adapter.ts';

/** A claim on a recorded event lasts this long; a gateway that dies acting on one frees it after. */
const LEASE_MS = 60_000;
/** How often recorded events nobody acted on are looked for (a gateway died, or was held). */
const SWEEP_MS = 2_000;
/** The gateway that heard an event acts on it first; others sweep it only when it is this old. */
const GRACE_MS = 3_000;
/** An event whose handling killed gateways this often is given up (logged), not tried forever. */
const MAX_ATTEMPTS = 5;
const SWEEP_BATCH = 20;

export interface InboundQueueDeps {
  store: GatewayStore;
  /** This gateway among several: the holder of the events it claims. */
  holder: string;
  contextOf(channel: ChannelRecord): ChannelContext | string;
  /** What the event does (ChannelInbound.handle); never throws for a bad event. */
  act(channel: ChannelRecord, context: ChannelContext, event: InboundEvent): Promise<void>;
  /**
   * Tests only (OPENVIBER_TEST_HOLD_CHANNEL_INBOUND=1): record and answer, never act, as a gateway
   * killed right after answering the platform would.
   */
  hold?: boolean;
  log: Logger;
}

/**
 * Answer first, then act (docs/channels.md, "Answer first"). Slack and Discord want an answer
 * within 3 seconds, and a task may take longer to create: each verified event is recorded in the
 * store with its dedupe row (one statement), the platform is answered, and only then is the event
 * acted on, from the store. A gateway that dies in between leaves the event recorded and not acted
 * on; every gateway sweeps for such events (its own after a restart, or another's) and claims each
 * with a lease, as deliveries are claimed, so it is acted on once. Events of one chat are acted on
 * in the order they were heard (a chain per conversation on this gateway; the conversation's lease
 * in the store across gateways).
 */
export class InboundQueue {
  readonly #deps: InboundQueueDeps;
  readonly #chains = new Map<string, Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #stopped = true;

  constructor(deps: InboundQueueDeps) {
    this.#deps = deps;
  }

  /** Records the event with its id; false when the id was recorded before (nothing to do). */
  record(channel: ChannelRecord, event: InboundEvent): Promise<boolean> {
    return this.#deps.store.recordInbound(
      channel.id,
      event.eventId,
      new Date().toISOString(),
      event as unknown as Record<string, unknown>,
    );
  }

  /** Acts on an event this gateway just recorded (after answering the platform); never throws. */
  actOn(channelId: string, event: InboundEvent): void {
    if (this.#deps.hold) return;
    this.#enqueue(channelId, event.conversationKey, async () => {
      const [row] = await this.#claim({ only: { channelId, eventId: event.eventId }, limit: 1 });
      if (row) await this.#act(row);
    });
  }

  start(): void {
    if (this.#deps.hold) return;
    this.#stopped = false;
    this.#sweep();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  #sweep(): void {
    if (this.#stopped) return;
    const before = new Date(Date.now() - GRACE_MS).toISOString();
    this.#claim({ receivedBefore: before, limit: SWEEP_BATCH })
      .then((rows) => {
        for (const row of rows) {
          this.#deps.log.info(
            { channelId: row.channelId, eventId: row.eventId, attempts: row.attempts },
            'channel event recorded but not acted on: acting on it now',
          );
          const key = (row.event as { conversationKey?: string }).conversationKey ?? '';
          this.#enqueue(row.channelId, key, () => this.#act(row));
        }
      })
      .catch((error: unknown) => this.#deps.log.warn({ err: error }, 'recorded channel events not read'))
      .finally(() => {
        if (this.#stopped) return;
        this.#timer = setTimeout(() => this.#sweep(), SWEEP_MS);
        this.#timer.unref?.();
      });
  }

  #claim(which: { limit: number; receivedBefore?: string; only?: { channelId: string; eventId: string } }) {
    const now = new Date();
    return this.#deps.store.claimInbound({
      ...which,
      holder: this.#deps.holder,
      now: now.toISOString(),
      leaseUntil: new Date(now.getTime() + LEASE_MS).toISOString(),
    });
  }

  /** One chain per conversation: its events are acted on one after another, in order. */
  #enqueue(channelId: string, conversationKey: string, work: () => Promise<void>): void {
    const key = `${channelId}\n${conversationKey}`;
    const next = (this.#chains.get(key) ?? Promise.resolve())
      .then(work)
      .catch((error: unknown) => this.#deps.log.error({ err: error, channelId }, 'channel event failed'));
    this.#chains.set(key, next);
    void next.finally(() => {
      if (this.#chains.get(key) === next) this.#chains.delete(key);
    });
  }

  async #act(row: PendingInboundRecord): Promise<void> {
    const { store, holder, log } = this.#deps;
    const fields = { channelId: row.channelId, eventId: row.eventId, attempts: row.attempts };
    const finish = () => store.finishInbound(row.channelId, row.eventId, holder);
    if (row.attempts > MAX_ATTEMPTS) {
      log.error(fields, 'channel event given up: acting on it failed too often');
      return finish();
    }
    const channel = await store.getChannel(row.channelId);
    if (!channel?.enabled) {
      log.info(fields, 'channel event dropped: the channel was removed or disabled');
      return finish();
    }
    const context = this.#deps.contextOf(channel);
    // Secrets that do not open here (another master key): the channel shows why; the lease
    // lapses and a gateway with the right key takes the event.
    if (typeof context === 'string') return;
    await this.#deps.act(channel, context, row.event as unknown as InboundEvent);
    await finish();
  }
}
