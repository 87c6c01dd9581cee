import type { ChannelsStore } from './channels-store.ts';
import type { DevicesStore } from './devices-store.ts';
import type { EnvironmentsStore } from './environments-store.ts';
import type { IdempotencyStore } from './idempotency-store.ts';
import type { JobsStore } from './jobs-store.ts';
import type { OutboxStore } from './outbox-store.ts';
import type { SessionsStore } from './sessions-store.ts';
import type { SettingsStore } from './settings-store.ts';
import type { TasksStore } from './tasks-store.ts';
import type { VibersStore } from './vibers-store.ts';

/**
 * The gateway's durable state behind one async interface, split by concept: `node:sqlite`
 * implements it today, PostgreSQL later, and `describeStoreContract` checks every implementation
 * the same way. All concepts share one database and one transaction boundary: a change and the
 * commands it queues commit together, whatever concept they belong to. Each method is one
 * transaction; one that decides something does it through a synchronous callback, so no backend
 * needs a transaction that spans awaits. After each commit the store tells its ChangeSink what
 * changed (store-changes.ts).
 */
export interface GatewayStore
  extends VibersStore,
    TasksStore,
    OutboxStore,
    IdempotencyStore,
    SessionsStore,
    EnvironmentsStore,
    DevicesStore,
    SettingsStore,
    JobsStore,
    ChannelsStore {
  /** Rejects when the store's server cannot be reached now (a networked store; absent: embedded). */
  ping?(): Promise<void>;
  close(): Promise<void>;
}
