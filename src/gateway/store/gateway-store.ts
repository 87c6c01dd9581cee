import type {
  ChatMessage,
  ConfigState,
  InjectionMode,
  TaskOptions,
  TaskResult,
  TaskStatus,
  TokenUsage,
  ViberInfo,
  ViberStatus,
} from '../../protocol/index.ts';

/**
 * The gateway's durable state behind one async interface: `node:sqlite` implements it today,
 * PostgreSQL later. Every method that decides something does it inside one transaction, through a
 * synchronous `decide` callback, so no backend needs a transaction that spans awaits.
 */
export interface ViberRecord {
  id: string;
  name: string;
  tokenHash: string;
  createdAt: string;
  revokedAt: string | null;
  info: ViberInfo | null;
  status: ViberStatus | null;
  configState: ConfigState | null;
  connectedAt: string | null;
  lastHeartbeatAt: string | null;
}

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
}

export interface TaskMessageRecord {
  id: string;
  taskId: string;
  message: string;
  injectionMode: InjectionMode;
  createdAt: string;
  deliveredAt: string | null;
}

/** A gateway -> daemon command waiting in the durable outbox until the daemon acknowledges it. */
export interface CommandRecord {
  /** Outbox order: commands go out in the order they were created. */
  seq: number;
  commandId: string;
  viberId: string;
  taskId: string | null;
  type: string;
  /** The wire message, JSON text. */
  message: string;
  createdAt: string;
}

export type NewCommand = Omit<CommandRecord, 'seq'>;

export interface IdempotencyRecord {
  key: string;
  requestHash: string;
  status: number;
  body: string;
  createdAt: string;
}

/** What a `decide` callback sees about a task's outstanding outbox commands. */
export interface TaskOutboxView {
  /** Command types still waiting for the daemon's acknowledgement. */
  types: ReadonlySet<string>;
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
  limit: number;
}

/** A board login code or session: only the SHA-256 of its secret is kept. */
export interface BoardSecretRecord {
  hash: string;
  createdAt: string;
  expiresAt: string;
}

export interface GatewayStore {
  close(): Promise<void>;

  insertViber(viber: Pick<ViberRecord, 'id' | 'name' | 'tokenHash' | 'createdAt'>): Promise<void>;
  getViber(id: string): Promise<ViberRecord | null>;
  findViberByTokenHash(tokenHash: string): Promise<ViberRecord | null>;
  /** Vibers that are not revoked, oldest first. */
  listVibers(): Promise<ViberRecord[]>;
  revokeViber(id: string, at: string): Promise<boolean>;
  recordViberConnected(id: string, info: ViberInfo, at: string): Promise<void>;
  recordViberHeartbeat(id: string, status: ViberStatus, at: string): Promise<void>;
  recordViberConfigState(id: string, state: ConfigState): Promise<void>;

  /** Creates a pending task and queues its `task:submit` in one transaction. */
  insertTask(task: TaskRecord, submit: NewCommand): Promise<void>;
  getTask(id: string): Promise<TaskRecord | null>;
  /** Newest first. */
  listTasks(filter: TaskFilter): Promise<TaskRecord[]>;
  countTasks(): Promise<number>;
  listTasksOfViber(viberId: string, statuses: readonly TaskStatus[]): Promise<TaskRecord[]>;
  countRunningTasksByViber(): Promise<Map<string, number>>;
  /** Ids of vibers that own at least one running task. */
  listVibersWithRunningTasks(): Promise<string[]>;
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

  listTaskMessages(taskId: string): Promise<TaskMessageRecord[]>;

  /** The viber's outstanding commands with seq > afterSeq, in creation order. */
  listCommands(viberId: string, afterSeq: number, limit: number): Promise<CommandRecord[]>;
  /** Removes an acknowledged command (a `task:message` ack marks the message delivered). */
  acknowledgeCommand(viberId: string, commandId: string, at: string): Promise<CommandRecord | null>;

  getIdempotency(key: string): Promise<IdempotencyRecord | null>;
  /** Keeps the first record for a key; a later one with the same key is ignored. */
  putIdempotency(record: IdempotencyRecord): Promise<void>;
  purgeIdempotency(olderThan: string): Promise<number>;

  insertLoginCode(code: BoardSecretRecord): Promise<void>;
  /** Deletes the code; true when it existed and had not expired at `now` (so it works once). */
  consumeLoginCode(hash: string, now: string): Promise<boolean>;
  insertBoardSession(session: BoardSecretRecord): Promise<void>;
  /** The session, when it exists and has not expired at `now`. */
  findBoardSession(hash: string, now: string): Promise<BoardSecretRecord | null>;
  deleteBoardSession(hash: string): Promise<void>;
  /** Deletes expired login codes and sessions; returns how many. */
  purgeBoardSecrets(now: string): Promise<number>;
}
