import type { TaskStatus } from '../../protocol/index.ts';
import type { BindingRecord, LogRecord } from './environments-store.ts';
import type { TaskEventRecord, TaskRecord } from './tasks-store.ts';

/** A viber was registered, or recorded what it reported (connected, heartbeat, config state). */
export interface ViberChanged {
  type: 'viber.changed';
  viberId: string;
}

export interface ViberRevoked {
  type: 'viber.revoked';
  viberId: string;
}

export interface TaskCreated {
  type: 'task.created';
  task: TaskRecord;
}

/**
 * A task's state changed: by the gateway (a patch of `updateTask`), or by a lifecycle or progress
 * event stored in its log (`cause`). A stream chunk only advances the log: it is told as a
 * TaskEventAppended alone, so the per-chunk cost stays one change.
 */
export interface TaskChanged {
  type: 'task.changed';
  /** The task as this change left it. */
  task: TaskRecord;
  previousStatus: TaskStatus;
  cause?: TaskEventRecord;
}

/** A row was appended to a task's durable stream log. */
export interface TaskEventAppended {
  type: 'task.event-appended';
  event: TaskEventRecord;
}

/** An environment, or what hangs off it (variables, secrets, all its bindings), changed. */
export interface EnvironmentChanged {
  type: 'environment.changed';
  environmentId: string;
}

export interface EnvironmentRemoved {
  type: 'environment.removed';
  environmentId: string;
}

/** One binding changed alone (mapped, prepared again, or a viber's status report). */
export interface BindingChanged {
  type: 'binding.changed';
  binding: BindingRecord;
}

export interface BindingLogAppended {
  type: 'binding.log-appended';
  line: LogRecord;
}

/**
 * The change feed: what one committed transaction changed, in the order it changed it. A store
 * hands the changes to its sink after the commit, and never those of a transaction that rolled
 * back. Listeners take a change as a hint and read committed state for anything they show.
 * Not announced, as nothing listens for them: outbox, idempotency and sign-in writes.
 */
/** A device was added, paired, revoked, rotated, renamed, or its pending request went away. */
export interface DeviceChanged {
  type: 'device.changed';
  deviceId: string;
}

/**
 * What the Channels page shows changed (docs/channels.md, "On the board"): a channel was added,
 * patched (a status, its last error) or deleted, a sender wrote first or was decided, a delivery
 * was queued, sent, or failed an attempt. Each gateway's boards refetch their channels.
 * `channelId` is the channel's; null would ask for all of them (the stores always say which).
 */
export interface ChannelChanged {
  type: 'channel.changed';
  channelId: string | null;
}

export type StoreChange =
  | ViberChanged
  | ViberRevoked
  | TaskCreated
  | TaskChanged
  | TaskEventAppended
  | EnvironmentChanged
  | EnvironmentRemoved
  | BindingChanged
  | BindingLogAppended
  | DeviceChanged
  | ChannelChanged;

/** Where a store puts the changes of each committed transaction (the gateway: its topic bus). */
export type ChangeSink = (changes: readonly StoreChange[]) => void;
