// The gateway's durable state: the store interface by concept, its change feed, and the embedded
// implementation. Concept modules import from here; the implementations' own files stay inside.

export type {
  ChannelFollowRecord,
  ChannelPatch,
  ChannelRecord,
  ChannelSenderRecord,
  ChannelsStore,
  ConversationRecord,
  DeliveryFailure,
  DeliveryRecord,
  NewDelivery,
} from './channels-store.ts';
export type {
  DevicePageKey,
  DevicePatch,
  DeviceQuery,
  DeviceRecord,
  DevicesStore,
  DeviceTokenRecord,
} from './devices-store.ts';
export type {
  BindingChange,
  BindingRecord,
  EnvironmentChange,
  EnvironmentPageKey,
  EnvironmentQuery,
  EnvironmentRecord,
  EnvironmentsStore,
  FullEnvironment,
  LogRecord,
  SecretRecord,
  VariableRecord,
} from './environments-store.ts';
export type { GatewayStore } from './gateway-store.ts';
export type { IdempotencyRecord, IdempotencyStore } from './idempotency-store.ts';
export type {
  JobClaim,
  JobClaimOutcome,
  JobFilter,
  JobPageKey,
  JobPageQuery,
  JobRecord,
  JobRunPageKey,
  JobRunRecord,
  JobRunRow,
  JobsStore,
} from './jobs-store.ts';
export type { CommandRecord, NewCommand, OutboxStore, TaskOutboxView } from './outbox-store.ts';
export { openPostgresStore } from './postgres/postgres-store.ts';
export type {
  BoardSecretRecord,
  BoardSessionRecord,
  LoginCodeRecord,
  SessionsStore,
} from './sessions-store.ts';
export type {
  ModelSettingsChange,
  ModelSettingsRecord,
  ProviderKeyRecord,
  SettingsStore,
} from './settings-store.ts';
export { GATEWAY_DB_FILE, openSqliteStore } from './sqlite/sqlite-store.ts';
export type {
  BindingChanged,
  BindingLogAppended,
  ChangeSink,
  ChannelChanged,
  DeviceChanged,
  EnvironmentChanged,
  EnvironmentRemoved,
  StoreChange,
  TaskChanged,
  TaskCreated,
  TaskEventAppended,
  ViberChanged,
  ViberRevoked,
} from './store-changes.ts';
export type { Page, PageRequest } from './store-page.ts';
export type {
  AppendOutcome,
  AppendResult,
  TaskEventAppend,
  TaskEventRecord,
  TaskFilter,
  TaskMessageRecord,
  TaskPageKey,
  TaskPatch,
  TaskQuery,
  TaskRecord,
  TasksStore,
  TaskTreePlace,
  TaskUpdate,
} from './tasks-store.ts';
export { newTaskRecord } from './tasks-store.ts';
export type { ViberPageKey, ViberQuery, ViberRecord, VibersStore } from './vibers-store.ts';
