import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../core/logger.ts';
import type { ChannelRecord, ChannelsStore } from '../store/index.ts';
import type { ChannelContext, InboundEvent } from './channel-adapter.ts';
import { adapterFor } from './channel-adapters.ts';
import { nextAttemptDelay } from './channel-backoff.ts';

/** How often the channels are looked at for a poller to start (a channel added on another gateway). */
const SCAN_MS = 2_000;
/** A poller's lease; renewed before each poll, so a gateway that dies frees its bots after it. */
const LEASE_MS = 60_000;

export interface ChannelPollersDeps {
  store: ChannelsStore;
  holder: string;
  contextOf(channel: ChannelRecord): ChannelContext | string;
  /** Records the event once and acts on it (false: a duplicate, nothing done). */
  handle(channel: ChannelRecord, context: ChannelContext, event: InboundEvent): Promise<unknown>;
  log: Logger;
}

/**
 * Long polling for channels that receive that way (Telegram getUpdates): one gateway at a time
 * polls a bot, by a lease in the store; the update offset is stored after each batch is recorded,
 * so a gateway that takes over goes on where the last one stopped, and an update heard twice is
 * recorded once (the inbound dedupe). A failing platform is asked again with backoff.
 */
export class ChannelPollers {
  readonly #deps: ChannelPollersDeps;
  readonly #running = new Map<string, AbortController>();
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(deps: ChannelPollersDeps) {
    this.#deps = deps;
  }

  start(): void {
    this.#stopped = false;
    this.#scan();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    for (const abort of this.#running.values()) abort.abort();
    const released = [...this.#running.keys()].map((id) =>
      this.#deps.store.releasePoller(id, this.#deps.holder).catch(() => {}),
    );
    this.#running.clear();
    await Promise.all(released);
  }

  /** Looks again now (a channel was added or changed here). */
  rescan(): void {
    clearTimeout(this.#timer);
    this.#scan();
  }

  #scan(): void {
    if (this.#stopped) return;
    this.#deps.store
      .listChannels()
      .then((channels) => {
        const wanted = new Set(
          channels
            .filter(
              (channel) => channel.enabled && adapterFor(channel.kind)?.pollingEnabled?.(channel.config),
            )
            .map((c) => c.id),
        );
        for (const [id, abort] of this.#running) {
          if (!wanted.has(id)) {
            abort.abort();
            this.#running.delete(id);
          }
        }
        for (const channel of channels) {
          if (wanted.has(channel.id) && !this.#running.has(channel.id)) this.#startPoller(channel);
        }
      })
      .catch((error: unknown) => this.#deps.log.warn({ err: error }, 'channels not read for polling'))
      .finally(() => {
        if (this.#stopped) return;
        this.#timer = setTimeout(() => this.#scan(), SCAN_MS);
        this.#timer.unref?.();
      });
  }

  #startPoller(channel: ChannelRecord): void {
    const abort = new AbortController();
    this.#running.set(channel.id, abort);
    this.#loop(channel.id, abort.signal)
      .catch((error: unknown) => {
        if (!abort.signal.aborted)
          this.#deps.log.error({ err: error, channelId: channel.id }, 'channel poller ended');
      })
      .finally(() => {
        if (this.#running.get(channel.id) === abort) this.#running.delete(channel.id);
      });
  }

  async #loop(channelId: string, signal: AbortSignal): Promise<void> {
    const { store, holder, log } = this.#deps;
    let failures = 0;
    while (!signal.aborted) {
      const now = new Date();
      const lease = await store.claimPoller(
        channelId,
        holder,
        now.toISOString(),
        new Date(now.getTime() + LEASE_MS).toISOString(),
      );
      if (!lease) return; // another gateway polls this bot; the next scan tries again
      const channel = await store.getChannel(channelId);
      const adapter = channel ? adapterFor(channel.kind) : undefined;
      if (!channel?.enabled || !adapter?.poll) return;
      const context = this.#deps.contextOf(channel);
      if (typeof context === 'string') {
        await store.updateChannel(channelId, { lastError: context, lastErrorAt: new Date().toISOString() });
        return;
      }
      try {
        const result = await adapter.poll(context, lease.offset, signal);
        for (const event of result.events) await this.#deps.handle(channel, context, event);
        if (result.offset !== null && result.offset !== lease.offset)
          await store.savePollerOffset(channelId, holder, result.offset);
        if (failures > 0) await store.updateChannel(channelId, { lastError: null, lastErrorAt: null });
        failures = 0;
      } catch (error) {
        if (signal.aborted) return;
        failures += 1;
        const message = `polling: ${(error as Error).message}`;
        log.warn({ channelId, failures, error: message }, 'channel poll failed; retrying');
        await store.updateChannel(channelId, { lastError: message, lastErrorAt: new Date().toISOString() });
        await sleep(
          nextAttemptDelay(failures, (error as { retryAfterMs?: number }).retryAfterMs),
          undefined,
          { signal },
        ).catch(() => {});
      }
    }
  }
}
