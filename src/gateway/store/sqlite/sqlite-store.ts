import type { GatewayStore } from '../gateway-store.ts';
import type { ChangeSink } from '../store-changes.ts';
import { sqliteChannels } from './sqlite-channels.ts';
import { SqliteDatabase } from './sqlite-database.ts';
import { sqliteDevices } from './sqlite-devices.ts';
import { sqliteEnvironments } from './sqlite-environments.ts';
import { sqliteIdempotency } from './sqlite-idempotency.ts';
import { sqliteJobs } from './sqlite-jobs.ts';
import { migrate } from './sqlite-migrations.ts';
import { sqliteOutbox } from './sqlite-outbox.ts';
import { sqliteSessions } from './sqlite-sessions.ts';
import { sqliteSettings } from './sqlite-settings.ts';
import { sqliteTasks } from './sqlite-tasks.ts';
import { sqliteVibers } from './sqlite-vibers.ts';
import { WalCheckpointer } from './wal-checkpointer.ts';

/** The embedded store's file under `home.gateway`. */
export const GATEWAY_DB_FILE = 'openviber.db';

/**
 * The embedded store: one `node:sqlite` database in WAL mode, one connection shared by every
 * concept. Its calls are synchronous, so each method is one transaction no other call can
 * interleave with; the async signatures are for the PostgreSQL store that comes later.
 * `onCommit` hears what each committed transaction changed (none: a store nobody watches);
 * `onFailure`, each transaction that failed and was rolled back.
 */
export function openSqliteStore(
  path: string,
  onCommit: ChangeSink = () => {},
  onFailure: (error: unknown) => void = () => {},
): GatewayStore {
  const db = new SqliteDatabase(path, onCommit, onFailure);
  db.connection.exec('PRAGMA journal_mode = WAL');
  // WAL + NORMAL survives a killed process (the contract); only a power loss may drop the last commits.
  db.connection.exec('PRAGMA synchronous = NORMAL');
  migrate(db.connection);
  const checkpointer = onDisk(path) ? new WalCheckpointer(path) : undefined;
  if (checkpointer) db.connection.exec('PRAGMA wal_autocheckpoint = 0');
  return {
    ...sqliteVibers(db),
    ...sqliteTasks(db),
    ...sqliteOutbox(db),
    ...sqliteIdempotency(db),
    ...sqliteSessions(db),
    ...sqliteEnvironments(db),
    ...sqliteDevices(db),
    ...sqliteSettings(db),
    ...sqliteJobs(db),
    ...sqliteChannels(db),
    async close() {
      await checkpointer?.close();
      db.close();
    },
  };
}

const onDisk = (path: string): boolean => path !== '' && path !== ':memory:' && !path.includes('mode=memory');
