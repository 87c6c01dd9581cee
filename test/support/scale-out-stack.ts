import { randomBytes } from 'node:crypto';
import { onCleanup } from './e2e-cleanup.ts';
import { type PostgresServer, startPostgresServer } from './postgres-server.ts';
import { type RedisServer, startRedisServer } from './redis-server.ts';
import { type GatewayHandle, spawnGateway } from './viber-stack.ts';

/** Three gateway processes A, B, C on one PostgreSQL and one Redis, with those servers at hand. */
export type ThreeGateways = GatewayHandle[] & { postgres: PostgresServer; redis: RedisServer; store: string };

/**
 * A PostgreSQL cluster and a Redis of the calling test's own (the e2e cleanup removes every temp
 * folder after a test, theirs included), and three gateways on them (`viber gateway --store --bus`)
 * sharing one operator token, started one after the other: each finds the schema the first one
 * migrated. Everything stops at the test's end. `env` goes to each gateway (a shared
 * OPENVIBER_MASTER_KEY, as a deployment must have for secrets).
 */
export async function threeGateways(
  heartbeatMs: number,
  env: Record<string, string> = {},
): Promise<ThreeGateways> {
  const postgres = await startPostgresServer();
  onCleanup(() => postgres.stop());
  const redis = await startRedisServer();
  onCleanup(() => redis.dispose());
  const store = await postgres.createDatabase();
  const operatorToken = `ovo_test_${randomBytes(16).toString('hex')}`;
  const shared = ['--store', store, '--bus', redis.url, '--heartbeat-interval', String(heartbeatMs)];
  const gateways: GatewayHandle[] = [];
  for (const name of ['gateway-a', 'gateway-b', 'gateway-c']) {
    gateways.push(await spawnGateway({ name, operatorToken, args: shared, env }));
  }
  return Object.assign(gateways, { postgres, redis, store });
}
