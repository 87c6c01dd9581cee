import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { OpenViberError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import { withoutPassword } from '../core/redaction.ts';
import { GATEWAY_CROSSING } from './bus/gateway-crossing.ts';
import { publishChanges } from './bus/gateway-topics.ts';
import { RedisTopicBus } from './bus/redis-topic-bus.ts';
import { InProcessTopicBus, type TopicBus } from './bus/topic-bus.ts';
import type { GatewayMetrics } from './metrics/gateway-metrics.ts';
import { GATEWAY_DB_FILE, type GatewayStore, openPostgresStore, openSqliteStore } from './store/index.ts';

/** How long a gateway waits for Redis at start before it gives up with the reason. */
const BUS_CONNECT_TIMEOUT_MS = 15_000;
/** How often a networked store is asked whether it answers (for `/health` and refusing new work). */
const STORE_PING_MS = 2_000;

/** The store and the bus a gateway runs on, and whether what they depend on is reachable. */
export interface SharedState {
  /** This process among the gateways of one deployment (messages on the bus carry it). */
  gatewayId: string;
  store: GatewayStore;
  bus: TopicBus & { readonly listenerFailures: number };
  /** Why the gateway cannot take new work now (Redis unreachable), or undefined when it can. */
  unavailable(): string | undefined;
  close(): Promise<void>;
}

/**
 * One machine: the embedded `node:sqlite` store and the in-process bus (the default). Several
 * gateways behind a balancer: PostgreSQL (`store`, a postgres:// URL) and Redis (`bus`, a
 * redis:// URL), which every gateway of the deployment shares (docs/deploy.md, "Scale-out").
 * Either can be given alone: PostgreSQL with the in-process bus is one gateway on a server
 * database; Redis without PostgreSQL is refused, as gateways on separate SQLite files share nothing.
 */
export async function openSharedState(
  options: { gatewayDir: string; store?: string; bus?: string },
  metrics: Pick<GatewayMetrics, 'storeErrors'>,
  log: Logger,
): Promise<SharedState> {
  if (options.bus && !options.store) {
    throw new OpenViberError(
      'validation_failed',
      'a Redis bus joins gateways that share a PostgreSQL store: give --store postgres://... as well',
      400,
    );
  }
  const gatewayId = `gateway-${randomUUID()}`;
  // The Redis bus, when there is one: what must be connected, watched and closed besides the store.
  const redis =
    options.bus === undefined
      ? undefined
      : new RedisTopicBus({
          url: options.bus,
          gatewayId,
          crossing: GATEWAY_CROSSING,
          log: log.child({ component: 'bus' }),
        });
  const bus = redis ?? new InProcessTopicBus(log.child({ component: 'bus' }));
  if (redis && options.bus) await connectBus(redis, options.bus);
  const onCommit = (changes: Parameters<typeof publishChanges>[1]) => publishChanges(bus, changes);
  const onFailure = () => {
    metrics.storeErrors += 1;
  };
  let store: GatewayStore;
  try {
    store = options.store
      ? await openPostgresStore(options.store, onCommit, onFailure)
      : openSqliteStore(join(options.gatewayDir, GATEWAY_DB_FILE), onCommit, onFailure);
  } catch (error) {
    await redis?.close();
    throw error;
  }
  const storeWatch = watchStore(store, log);
  return {
    gatewayId,
    store,
    bus,
    unavailable() {
      const storeDown = storeWatch.down();
      if (storeDown) return storeDown;
      if (!redis) return undefined;
      const health = redis.health();
      return health.connected
        ? undefined
        : `the gateway cannot reach its Redis bus since ${health.since}${health.lastError ? ` (${health.lastError})` : ''}`;
    },
    async close() {
      storeWatch.stop();
      await store.close();
      await redis?.close();
    },
  };
}

async function connectBus(bus: RedisTopicBus, url: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const reason = bus.health().lastError ?? 'no answer';
      reject(
        new OpenViberError(
          'internal',
          `cannot reach the Redis bus at ${withoutPassword(url)} within ${BUS_CONNECT_TIMEOUT_MS / 1000} s: ${reason}`,
          503,
        ),
      );
    }, BUS_CONNECT_TIMEOUT_MS);
  });
  try {
    await Promise.race([bus.connect(), timeout]);
  } catch (error) {
    await bus.close();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Asks a networked store every STORE_PING_MS whether it answers, and remembers since when it does
 * not (the embedded store is always there). One ping at a time: a server that hangs holds one.
 */
function watchStore(store: GatewayStore, log: Logger): { down(): string | undefined; stop(): void } {
  const ping = store.ping?.bind(store);
  if (!ping) return { down: () => undefined, stop: () => {} };
  let failing: { since: string; reason: string } | undefined;
  let inFlight = false;
  const check = () => {
    if (inFlight) return;
    inFlight = true;
    ping()
      .then(() => {
        if (failing) log.info({ since: failing.since }, 'the PostgreSQL store answers again');
        failing = undefined;
      })
      .catch((error: unknown) => {
        if (!failing) log.warn({ reason: (error as Error).message }, 'the PostgreSQL store does not answer');
        failing ??= { since: new Date().toISOString(), reason: (error as Error).message };
      })
      .finally(() => {
        inFlight = false;
      });
  };
  const timer = setInterval(check, STORE_PING_MS);
  timer.unref();
  return {
    down: () =>
      failing
        ? `the gateway cannot reach its PostgreSQL store since ${failing.since} (${failing.reason})`
        : undefined,
    stop: () => clearInterval(timer),
  };
}
