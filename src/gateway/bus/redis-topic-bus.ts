import { createClient } from 'redis';
import type { Logger } from '../../core/logger.ts';
import { InProcessTopicBus, type Topic, type TopicBus, type TopicListener } from './topic-bus.ts';

/**
 * Which topics cross between gateways, and as what. The bus knows nothing of the gateway's
 * messages; the gateway's answer is `GATEWAY_CROSSING` (gateway-crossing.ts).
 */
export interface TopicCrossing {
  /** The channel (under the bus's prefix) a topic crosses on; undefined keeps it in this process. */
  channelOf(topic: string): string | undefined;
  /**
   * What the other gateways get of a local publish: the message, a smaller hint, or undefined for
   * nothing. A `coalesce`d message replaces the one of its topic still waiting to be sent: those
   * are sent at the end of the event loop's turn, or before the next message that is not one.
   */
  outbound(topic: string, message: unknown): { message: unknown; coalesce?: boolean } | undefined;
  /**
   * What this process's listeners of a networked topic hear when they may have missed messages:
   * when the channel's subscription has just become active, and after Redis came back. Undefined
   * for a topic whose messages have no way to say it.
   */
  resynced(topic: string): unknown;
}

/** Whether Redis is reachable, for `/health`. */
export interface BusHealth {
  connected: boolean;
  /** When the bus last became connected or disconnected (ISO 8601). */
  since: string;
  /** The last connection error, kept after the bus is back, until the next one. */
  lastError: string | null;
}

export interface RedisTopicBusOptions {
  url: string;
  /** This gateway's id: its messages carry it, and it ignores its own echo. */
  gatewayId: string;
  crossing: TopicCrossing;
  log: Logger;
  /** Put before every channel name, so deployments can share one Redis. */
  channelPrefix?: string;
}

interface Envelope {
  from: string;
  message: unknown;
}

/** Reconnect after 50 ms, doubling to 5 s, with up to 20% jitter so gateways do not stampede. */
export function reconnectDelay(retries: number): number {
  const base = Math.min(50 * 2 ** Math.min(retries, 10), 5_000);
  return Math.round(base * (1 + Math.random() * 0.2));
}

/**
 * A TopicBus shared by the gateways of one database through Redis pub/sub. Local listeners hear
 * every publish at once, synchronously, from the InProcessTopicBus inside, as with one gateway;
 * what `crossing` says goes out on Redis too, tagged with this gateway's id. A networked topic is
 * subscribed on Redis only while this process has a listener for it, so a gateway hears only the
 * tasks its readers follow. Redis pub/sub keeps nothing: a message published while a gateway is
 * cut off is lost to it, which is why every message is a hint over the durable store, and why
 * listeners hear `crossing.resynced` when their channel becomes active and after each reconnect.
 */
export class RedisTopicBus implements TopicBus {
  readonly #local: InProcessTopicBus;
  readonly #options: RedisTopicBusOptions;
  readonly #prefix: string;
  readonly #log: Logger;
  readonly #publisher: ReturnType<typeof createClient>;
  readonly #subscriber: ReturnType<typeof createClient>;
  /** Networked topics this process listens to, by channel name. */
  readonly #subscribed = new Map<string, string>();
  /** Coalesced messages waiting for the end of the turn, by topic. */
  readonly #pending = new Map<string, unknown>();
  #flushQueued = false;
  #health: BusHealth = { connected: false, since: new Date().toISOString(), lastError: null };
  /** The subscriber was ready once: a later `ready` is a reconnect. */
  #subscriberWasReady = false;
  #closed = false;
  /** The current outage was logged (once, whatever the retries). */
  #outageSaid = false;
  #dropped = 0;
  #malformed = 0;

  constructor(options: RedisTopicBusOptions) {
    this.#options = options;
    this.#log = options.log;
    this.#local = new InProcessTopicBus(options.log);
    this.#prefix = options.channelPrefix ?? 'openviber:';
    const socket = { reconnectStrategy: reconnectDelay, connectTimeout: 5_000 };
    // No offline queue for publishes: a message Redis cannot take now is dropped, not sent late.
    this.#publisher = createClient({ url: options.url, socket, disableOfflineQueue: true });
    this.#subscriber = createClient({ url: options.url, socket });
    for (const [role, client] of [
      ['publisher', this.#publisher],
      ['subscriber', this.#subscriber],
    ] as const) {
      client.on('error', (error: unknown) => this.#onError(role, error));
      client.on('end', () => this.#updateHealth());
      client.on('reconnecting', () => this.#updateHealth());
      client.on('ready', () => {
        this.#updateHealth();
        if (role === 'subscriber') this.#onSubscriberReady();
      });
    }
  }

  /** Connects both clients; resolves once both are ready (retrying, with backoff, until then). */
  async connect(): Promise<void> {
    await Promise.all([this.#publisher.connect(), this.#subscriber.connect()]);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#flush();
    this.#closed = true;
    await Promise.allSettled([closeClient(this.#publisher), closeClient(this.#subscriber)]);
    this.#updateHealth();
  }

  publish<M>(topic: Topic<M>, message: M): void {
    this.#local.publish(topic, message);
    const channel = this.#options.crossing.channelOf(topic);
    if (channel === undefined) return;
    const outbound = this.#options.crossing.outbound(topic, message);
    if (!outbound) return;
    if (outbound.coalesce) {
      // The latest replaces the one waiting, and goes after the others waiting (order of the last).
      this.#pending.delete(topic);
      this.#pending.set(topic, outbound.message);
      if (!this.#flushQueued) {
        this.#flushQueued = true;
        queueMicrotask(() => this.#flush());
      }
      return;
    }
    this.#flush();
    this.#send(channel, outbound.message);
  }

  subscribe<M>(topic: Topic<M>, listener: TopicListener<M>): () => void {
    const unsubscribeLocal = this.#local.subscribe(topic, listener);
    const channel = this.#options.crossing.channelOf(topic);
    if (channel !== undefined && this.#local.listenerCount(topic) === 1) this.#listen(topic, channel);
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      unsubscribeLocal();
      if (channel !== undefined && this.#local.listenerCount(topic) === 0) this.#stopListening(channel);
    };
  }

  listenerCount(topic: Topic<unknown>): number {
    return this.#local.listenerCount(topic);
  }

  health(): BusHealth {
    return { ...this.#health };
  }

  /** Listeners that threw since the bus was made (`/metrics`). */
  get listenerFailures(): number {
    return this.#local.listenerFailures;
  }

  /** Messages not sent because Redis was unreachable. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Messages from Redis ignored because they were not an envelope of JSON. */
  get malformed(): number {
    return this.#malformed;
  }

  /** Channels this process is subscribed to on Redis (leak checks in tests). */
  get channelCount(): number {
    return this.#subscribed.size;
  }

  #flush(): void {
    this.#flushQueued = false;
    if (this.#pending.size === 0) return;
    const pending = [...this.#pending];
    this.#pending.clear();
    for (const [topic, message] of pending) {
      const channel = this.#options.crossing.channelOf(topic);
      if (channel !== undefined) this.#send(channel, message);
    }
  }

  #send(channel: string, message: unknown): void {
    if (this.#closed || !this.#publisher.isReady) {
      this.#dropped += 1;
      return;
    }
    const envelope: Envelope = { from: this.#options.gatewayId, message };
    this.#publisher.publish(this.#prefix + channel, JSON.stringify(envelope)).catch((error: unknown) => {
      this.#dropped += 1;
      this.#log.debug({ err: error, channel }, 'bus message not sent to Redis');
    });
  }

  #listen(topic: string, channel: string): void {
    const name = this.#prefix + channel;
    this.#subscribed.set(name, topic);
    this.#subscriber
      .subscribe(name, this.#onMessage)
      .then(() => {
        // Live from here on; anything published before is in the store: read it now.
        if (this.#subscribed.has(name)) this.#resync(topic);
      })
      .catch((error: unknown) => {
        // Kept in node-redis's list: it subscribes again when the connection is back.
        this.#log.debug({ err: error, channel }, 'Redis subscription deferred');
      });
  }

  #stopListening(channel: string): void {
    const name = this.#prefix + channel;
    this.#subscribed.delete(name);
    this.#subscriber.unsubscribe(name, this.#onMessage).catch((error: unknown) => {
      this.#log.debug({ err: error, channel }, 'Redis unsubscribe failed (the connection is gone)');
    });
  }

  readonly #onMessage = (raw: string, name: string): void => {
    const topic = this.#subscribed.get(name);
    if (topic === undefined) return;
    let envelope: Partial<Envelope>;
    try {
      envelope = JSON.parse(raw) as Partial<Envelope>;
    } catch (error) {
      this.#malformed += 1;
      this.#log.warn(
        { err: error, channel: name, bytes: raw.length },
        'ignored a bus message that is not JSON',
      );
      return;
    }
    if (typeof envelope?.from !== 'string' || typeof envelope.message !== 'object' || !envelope.message) {
      this.#malformed += 1;
      this.#log.warn({ channel: name, bytes: raw.length }, 'ignored a bus message without sender or body');
      return;
    }
    if (envelope.from === this.#options.gatewayId) return;
    this.#local.publish(topic, envelope.message);
  };

  #onSubscriberReady(): void {
    if (!this.#subscriberWasReady) {
      this.#subscriberWasReady = true;
      return;
    }
    // node-redis subscribed again before `ready`: what was missed meanwhile is in the store.
    this.#log.info(
      { topics: this.#subscribed.size },
      'Redis bus reconnected; listeners read the store again',
    );
    for (const topic of [...this.#subscribed.values()]) this.#resync(topic);
  }

  #resync(topic: string): void {
    const message = this.#options.crossing.resynced(topic);
    if (message === undefined || this.#local.listenerCount(topic) === 0) return;
    this.#local.publish(topic, message);
  }

  #onError(role: string, error: unknown): void {
    const reason = `Redis ${role}: ${error instanceof Error ? error.message || error.name : String(error)}`;
    this.#health = { ...this.#health, lastError: reason };
    this.#updateHealth();
    // Both connections retry every few seconds while Redis is away: an outage is said once.
    if (!this.#health.connected && !this.#outageSaid && !this.#closed) {
      this.#outageSaid = true;
      this.#log.warn(
        { url: redactUrl(this.#options.url), reason },
        'Redis bus unreachable; delivering locally only and reconnecting',
      );
    } else this.#log.debug({ reason }, 'Redis bus connection error');
  }

  #updateHealth(): void {
    const connected = !this.#closed && this.#publisher.isReady && this.#subscriber.isReady;
    if (connected === this.#health.connected) return;
    this.#health = { ...this.#health, connected, since: new Date().toISOString() };
    if (connected) {
      this.#outageSaid = false;
      this.#log.info('Redis bus connected');
    }
  }
}

/**
 * Closes a client: gracefully when it is ready (replies still due are awaited, for a second at
 * most), at once otherwise (node-redis's close would wait for the commands queued for a
 * connection that may never come).
 */
async function closeClient(client: ReturnType<typeof createClient>): Promise<void> {
  if (!client.isOpen) return;
  if (client.isReady) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([client.close(), new Promise((resolve) => (timer = setTimeout(resolve, 1_000)))]);
    clearTimeout(timer);
  }
  if (client.isOpen) client.destroy();
}

/** The URL without its password, for logs. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'an unparseable URL';
  }
}
