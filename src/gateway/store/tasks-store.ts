import type {
  ChatMessage,
  InjectionMode,
  TaskOptions,
  TaskResult,
  TaskStatus,
  TokenUsage,
} from '../../protocol/index.ts';
import type { NewCommand, TaskOutboxView } from './outbox-store.ts';
import type { Page } from './store-page.ts';

export interface TaskRecord {
  id: string;
  viberId: string;
  goal: string;
  messages: ChatMessage[] | null;
  options: TaskOptions;
  status: TaskStatus;
  error: string | null;
  result: TaskResult | null;
  usage: TokenUsage | null;
  stopRequested: boolean;
  lastSeq: number;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  endedAt: string | null;
  /** The task that delegated this one (docs/delegation.md); null for a task an operator started. */
  parentTaskId: string | null;
  /** The first task of its tree; null for a root task itself. */
  rootTaskId: string | null;
  /** 0 for a root task, its parent's depth + 1 for a child. */
  depth: number;
  /** The delegate call that started it: its parent asking twice gets the same child. */
  delegateRequestId: string | null;
  /** When its end was queued for its parent (null: not yet, or not a child). */
  parentNotifiedAt: string | null;
}

/** Where a child task sits in its tree, as it is created. */
export type TaskTreePlace = Pick<TaskRecord, 'parentTaskId' | 'rootTaskId' | 'depth' | 'delegateRequestId'>;

/** A task as it is created: pending, nothing run, no event stored yet. */
export function newTaskRecord(
  fields: Pick<TaskRecord, 'id' | 'viberId' | 'goal'> &
    Partial<Pick<TaskRecord, 'messages' | 'options'> & TaskTreePlace>,
  at: string,
): TaskRecord {
  return {
    messages: null,
    options: {},
    parentTaskId: null,
    rootTaskId: null,
    depth: 0,
    delegateRequestId: null,
    ...fields,
    parentNotifiedAt: null,
    status: 'pending',
    error: null,
    result: null,
    usage: null,
    stopRequested: false,
    lastSeq: 0,
    createdAt: at,
    updatedAt: at,
    startedAt: null,
    endedAt: null,
  };
}

/** The fields of a task a state transition may change. */
export type TaskPatch = Partial<
  Pick<TaskRecord, 'status' | 'error' | 'result' | 'usage' | 'stopRequested' | 'startedAt' | 'endedAt'>
>;

/** One row of the durable per-task stream log. `payload` is JSON text, relayed as is. */
export interface TaskEventRecord {
  taskId: string;
  seq: number;
  type: string;
  payload: string;
  at: string;
  /**
   * A stream chunk's own `type`, given when it is appended and kept beside the payload, so finding
   * a chunk of some type never parses stored JSON (a chunk may nest deeper than a database's JSON
   * functions accept). Not read back by readTaskLog.
   */
  chunkType?: string | null;
  /**
   * When the gateway received the event (performance.now() of its group commit's first frame),
   * on the rows the change feed hands to live readers: the relay latency's start. Never stored.
   */
  arrivedAt?: number | undefined;
}

export interface TaskMessageRecord {
  id: string;
  taskId: string;
  message: string;
  injectionMode: InjectionMode;
  createdAt: string;
  deliveredAt: string | null;
}

/** The changes `updateTask` applies atomically; `null` from `decide` means "leave it". */
export interface TaskUpdate {
  patch?: TaskPatch;
  enqueue?: NewCommand;
  message?: TaskMessageRecord;
  /** Remove this task's outstanding commands: all of them, or just its `task:submit`. */
  dropCommands?: 'all' | 'submit';
}

export type AppendOutcome = 'stored' | 'duplicate' | 'gap' | 'not_found' | 'forbidden';

export interface AppendResult {
  outcome: AppendOutcome;
  /** Highest seq stored for the task (0 when none, or when the task is unknown). */
  lastSeq: number;
  task: TaskRecord | null;
}

/** One event of a group commit and the state transition it drives. */
export interface TaskEventAppend {
  event: TaskEventRecord;
  transition: (task: TaskRecord) => TaskPatch | null;
}

export interface TaskFilter {
  viberId?: string;
  status?: TaskStatus;
  /** Tasks whose options name this environment. */
  environmentId?: string;
  limit: number;
}

/**
 * A task's place in `taskPage`'s order (newest first): its position in the order tasks were
 * inserted, which only the store knows (a row number); a key is only ever one the store gave.
 */
export type TaskPageKey = readonly [position: number];

export interface TaskQuery extends TaskFilter {
  after?: TaskPageKey;
}

/**
 * Tasks, their durable stream log and their follow-up messages. Every method that decides
 * something does it inside one transaction, through a synchronous `decide` (or `transition`)
 * callback, so no backend needs a transaction that spans awaits.
 */
export interface TasksStore {
  /** Creates a pending task and queues its `task:submit` in one transaction. */
  insertTask(task: TaskRecord, submit: NewCommand): Promise<void>;
  getTask(id: string): Promise<TaskRecord | null>;
  /** Newest first. */
  listTasks(filter: TaskFilter): Promise<TaskRecord[]>;
  /** A page of `listTasks`'s order, newest first, after `after`. */
  taskPage(query: TaskQuery): Promise<Page<TaskRecord, TaskPageKey>>;
  countTasks(): Promise<number>;
  /** How many tasks are in each state (a state with none may be absent). */
  countTasksByStatus(): Promise<Partial<Record<TaskStatus, number>>>;
  /** Oldest first. */
  listTasksOfViber(viberId: string, statuses: readonly TaskStatus[]): Promise<TaskRecord[]>;
  countRunningTasksByViber(): Promise<Map<string, number>>;
  /** Ids of vibers that own at least one running task. */
  listVibersWithRunningTasks(): Promise<string[]>;
  /** Tasks of the environment that are not finished (pending or running). */
  countLiveTasksOfEnvironment(environmentId: string): Promise<number>;
  /**
   * Reads the task and its outbox, calls `decide` inside the transaction and applies what it
   * returns. `decide` may throw to abort. Returns null when the task does not exist.
   */
  updateTask(
    id: string,
    decide: (task: TaskRecord, outbox: TaskOutboxView) => TaskUpdate | null,
  ): Promise<{ task: TaskRecord; update: TaskUpdate | null } | null>;

  /**
   * Appends a daemon's task events in order, in one transaction (a group commit), each as if
   * appended alone: stored only when its `seq` is the next one (last_seq + 1), a seq already stored
   * is a duplicate, a seq past the next one is not stored (a gap); each stored event applies the
   * state transition its `transition` returns, seeing the task as the earlier events of the batch
   * left it. When a transition ends a task, its outstanding commands are dropped. Returns one
   * result per event, in batch order; a failure stores none of them.
   */
  appendTaskEvents(viberId: string, batch: readonly TaskEventAppend[]): Promise<AppendResult[]>;
  /** Log rows with seq > afterSeq, in order, at most `limit`. */
  readTaskLog(taskId: string, afterSeq: number, limit: number): Promise<TaskEventRecord[]>;
  /** Every log row except stream chunks. */
  listLifecycleEvents(taskId: string): Promise<TaskEventRecord[]>;
  /** Whether a stream chunk of this type was appended with its `chunkType` (no JSON is parsed). */
  hasStreamChunkOfType(taskId: string, chunkType: string): Promise<boolean>;

  /** Oldest first. */
  listTaskMessages(taskId: string): Promise<TaskMessageRecord[]>;

  // The task tree (docs/delegation.md).
  /** The tasks `parentTaskId` delegated, oldest first. */
  listChildTasks(parentTaskId: string): Promise<TaskRecord[]>;
  /** Every pending or running task below `taskId` (children, their children, ...), oldest first. */
  listLiveDescendants(taskId: string): Promise<TaskRecord[]>;
  /** How many tasks a tree holds besides its root. */
  countTreeChildren(rootTaskId: string): Promise<number>;
  /** The child a delegate call (`requestId`) of this parent already started, if any. */
  findDelegatedTask(parentTaskId: string, requestId: string): Promise<TaskRecord | null>;
  /**
   * A finished child's end for its parent, at most once: in one transaction, reads the child and
   * its parent, and unless the child is not finished or was already noticed, marks it noticed and
   * queues what `decide` returns (nothing when the parent ended). Null when nothing was done.
   */
  noticeChildEnd(
    childTaskId: string,
    decide: (child: TaskRecord, parent: TaskRecord | null) => NewCommand | null,
  ): Promise<{ child: TaskRecord; command: NewCommand | null } | null>;
  /** Finished children whose end was not yet noticed (a gateway stopped in between), oldest first. */
  listUnnoticedChildEnds(limit: number): Promise<TaskRecord[]>;
}
