import type { GatewayStore } from '../gateway-store.ts';
import type { ChangeSink } from '../store-changes.ts';
import { postgresChannels } from './postgres-channels.ts';
import { PostgresDatabase } from './postgres-database.ts';
import { postgresDevices } from './postgres-devices.ts';
import { postgresEnvironments } from './postgres-environments.ts';
import { isConnectionLoss } from './postgres-failures.ts';
import { postgresIdempotency } from './postgres-idempotency.ts';
import { postgresJobs } from './postgres-jobs.ts';
import { migrate } from './postgres-migrations.ts';
import { postgresOutbox } from './postgres-outbox.ts';
import { postgresSessions } from './postgres-sessions.ts';
import { postgresSettings } from './postgres-settings.ts';
import { postgresTasks } from './postgres-tasks.ts';
import { postgresVibers } from './postgres-vibers.ts';

/**
 * The store at scale: one PostgreSQL database that several gateways share (docs/gateway.md,
 * "PostgreSQL store"). Opening it applies the migrations the database has not seen, under an
 * advisory lock, so gateways that start together migrate once. Every method is one transaction
 * on one pooled connection; `onCommit` hears what each committed transaction changed, after its
 * COMMIT; `onFailure`, each transaction that failed and was rolled back. `url` is a libpq
 * connection URL (`postgres://user:password@host:5432/database`, `?sslmode=...`).
 */
export async function openPostgresStore(
  url: string,
  onCommit: ChangeSink = () => {},
  onFailure: (error: unknown) => void = () => {},
): Promise<GatewayStore> {
  const db = new PostgresDatabase(url, onCommit, onFailure);
  try {
    await migrate(db.pool);
  } catch (error) {
    await db.close().catch(() => {});
    if (!isConnectionLoss(error)) throw error;
    throw new Error(
      `the gateway could not reach its PostgreSQL database ${where(url)}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  return {
    ...postgresVibers(db),
    ...postgresTasks(db),
    ...postgresOutbox(db),
    ...postgresIdempotency(db),
    ...postgresSessions(db),
    ...postgresEnvironments(db),
    ...postgresDevices(db),
    ...postgresSettings(db),
    ...postgresJobs(db),
    ...postgresChannels(db),
    async ping() {
      await db.pool.query('SELECT 1');
    },
    async close() {
      await db.close();
    },
  };
}

/** Host, port and database of a connection URL, never its password (it goes into logs). */
function where(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname || 'localhost'}:${parsed.port || 5432}${parsed.pathname}`;
  } catch {
    return '(an unreadable URL)';
  }
}
