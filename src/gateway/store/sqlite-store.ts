import { isTerminalTaskStatus, type TaskStatus } from '../../protocol/index.ts';
import type {
  AppendResult,
  BoardSecretRecord,
  CommandRecord,
  GatewayStore,
  IdempotencyRecord,
  NewCommand,
  TaskEventAppend,
  TaskEventRecord,
  TaskFilter,
  TaskMessageRecord,
  TaskOutboxView,
  TaskRecord,
  TaskUpdate,
  ViberRecord,
} from './gateway-store.ts';
import { SqliteDatabase } from './sqlite-database.ts';
import { migrate } from './sqlite-migrations.ts';
import {
  applyPatch,
  commandFromRow,
  eventFromRow,
  messageFromRow,
  taskFromRow,
  taskStateParams,
  taskToParams,
  viberFromRow,
} from './sqlite-rows.ts';

/** A task during a group commit: as read, and as its events so far left it. */
type BatchTask = { read: TaskRecord; current: TaskRecord };

const UPDATE_TASK = `UPDATE tasks SET status = :status, error = :error, result = :result, usage = :usage,
  stop_requested = :stop_requested, last_seq = :last_seq, updated_at = :updated_at, started_at = :started_at,
  ended_at = :ended_at WHERE id = :id`;

/**
 * The embedded store: one `node:sqlite` database in WAL mode. Its calls are synchronous, so each
 * method is one transaction that no other call can interleave with; the async signatures are for
 * the PostgreSQL store that comes later.
 */
export class SqliteGatewayStore implements GatewayStore {
  readonly #db: SqliteDatabase;

  constructor(path: string) {
    this.#db = new SqliteDatabase(path);
    this.#db.connection.exec('PRAGMA journal_mode = WAL');
    // WAL + NORMAL survives a killed process (the contract); only a power loss may drop the last commits.
    this.#db.connection.exec('PRAGMA synchronous = NORMAL');
    migrate(this.#db.connection);
  }

  async close(): Promise<void> {
    this.#db.close();
  }

  async insertViber(viber: Pick<ViberRecord, 'id' | 'name' | 'tokenHash' | 'createdAt'>): Promise<void> {
    this.#db.run(
      'INSERT INTO vibers (id, name, token_hash, created_at) VALUES (:id, :name, :token_hash, :created_at)',
      {
        id: viber.id,
        name: viber.name,
        token_hash: viber.tokenHash,
        created_at: viber.createdAt,
      },
    );
  }
  async getViber(id: string): Promise<ViberRecord | null> {
    const row = this.#db.get('SELECT * FROM vibers WHERE id = :id', { id });
    return row ? viberFromRow(row) : null;
  }
  async findViberByTokenHash(tokenHash: string): Promise<ViberRecord | null> {
    const row = this.#db.get('SELECT * FROM vibers WHERE token_hash = :tokenHash', { tokenHash });
    return row ? viberFromRow(row) : null;
  }
  async listVibers(): Promise<ViberRecord[]> {
    return this.#db.all('SELECT * FROM vibers WHERE revoked_at IS NULL ORDER BY rowid').map(viberFromRow);
  }
  async revokeViber(id: string, at: string): Promise<boolean> {
    return (
      this.#db.run('UPDATE vibers SET revoked_at = :at WHERE id = :id AND revoked_at IS NULL', { id, at }) > 0
    );
  }
  async recordViberConnected(id: string, info: ViberRecord['info'], at: string): Promise<void> {
    this.#db.run('UPDATE vibers SET info = :info, connected_at = :at WHERE id = :id', {
      id,
      at,
      info: JSON.stringify(info),
    });
  }
  async recordViberHeartbeat(id: string, status: ViberRecord['status'], at: string): Promise<void> {
    this.#db.run('UPDATE vibers SET status = :status, last_heartbeat_at = :at WHERE id = :id', {
      id,
      at,
      status: JSON.stringify(status),
    });
  }
  async recordViberConfigState(id: string, state: ViberRecord['configState']): Promise<void> {
    this.#db.run('UPDATE vibers SET config_state = :state WHERE id = :id', {
      id,
      state: JSON.stringify(state),
    });
  }

  async insertTask(task: TaskRecord, submit: NewCommand): Promise<void> {
    this.#db.transaction(() => {
      this.#db.run(
        `INSERT INTO tasks (id, viber_id, goal, messages, options, status, error, result, usage, stop_requested,
          last_seq, created_at, updated_at, started_at, ended_at) VALUES (:id, :viber_id, :goal, :messages, :options,
          :status, :error, :result, :usage, :stop_requested, :last_seq, :created_at, :updated_at, :started_at, :ended_at)`,
        taskToParams(task),
      );
      this.#enqueue(submit);
    });
  }
  async getTask(id: string): Promise<TaskRecord | null> {
    return this.#getTask(id);
  }
  #getTask(id: string): TaskRecord | null {
    const row = this.#db.get('SELECT * FROM tasks WHERE id = :id', { id });
    return row ? taskFromRow(row) : null;
  }
  async listTasks(filter: TaskFilter): Promise<TaskRecord[]> {
    return this.#db
      .all(
        `SELECT * FROM tasks WHERE (:viberId IS NULL OR viber_id = :viberId) AND (:status IS NULL OR status = :status)
        ORDER BY rowid DESC LIMIT :limit`,
        { viberId: filter.viberId ?? null, status: filter.status ?? null, limit: filter.limit },
      )
      .map(taskFromRow);
  }
  async countTasks(): Promise<number> {
    return this.#db.get('SELECT COUNT(*) AS n FROM tasks')!.n as number;
  }
  async listTasksOfViber(viberId: string, statuses: readonly TaskStatus[]): Promise<TaskRecord[]> {
    return this.#db
      .all(
        'SELECT * FROM tasks WHERE viber_id = :viberId AND status IN (SELECT value FROM json_each(:statuses)) ORDER BY rowid',
        {
          viberId,
          statuses: JSON.stringify(statuses),
        },
      )
      .map(taskFromRow);
  }
  async countRunningTasksByViber(): Promise<Map<string, number>> {
    const rows = this.#db.all(
      "SELECT viber_id, COUNT(*) AS n FROM tasks WHERE status = 'running' GROUP BY viber_id",
    );
    return new Map(rows.map((row) => [row.viber_id as string, row.n as number]));
  }
  async listVibersWithRunningTasks(): Promise<string[]> {
    return this.#db
      .all("SELECT DISTINCT viber_id FROM tasks WHERE status = 'running'")
      .map((row) => row.viber_id as string);
  }

  async updateTask(
    id: string,
    decide: (task: TaskRecord, outbox: TaskOutboxView) => TaskUpdate | null,
  ): Promise<{ task: TaskRecord; update: TaskUpdate | null } | null> {
    return this.#db.transaction(() => {
      const task = this.#getTask(id);
      if (!task) return null;
      const types = new Set(
        this.#db
          .all('SELECT type FROM commands WHERE task_id = :id', { id })
          .map((row) => row.type as string),
      );
      const update = decide(task, { types });
      if (!update) return { task, update };
      const at = new Date().toISOString();
      const next = update.patch ? applyPatch(task, update.patch, at) : task;
      if (update.patch) this.#db.run(UPDATE_TASK, taskStateParams(next));
      if (update.dropCommands === 'all') this.#db.run('DELETE FROM commands WHERE task_id = :id', { id });
      if (update.dropCommands === 'submit') {
        this.#db.run("DELETE FROM commands WHERE task_id = :id AND type = 'task:submit'", { id });
      }
      if (update.message) this.#insertMessage(update.message);
      if (update.enqueue) this.#enqueue(update.enqueue);
      return { task: next, update };
    });
  }

  async appendTaskEvents(viberId: string, batch: readonly TaskEventAppend[]): Promise<AppendResult[]> {
    if (batch.length === 0) return [];
    return this.#db.transaction(() => {
      // Each task is read once and written once per batch; the events see it as their predecessors left it.
      const tasks = new Map<string, BatchTask | null>();
      const results = batch.map(({ event, transition }) => {
        let entry = tasks.get(event.taskId);
        if (entry === undefined) {
          const task = this.#getTask(event.taskId);
          entry = task ? { read: task, current: task } : null;
          tasks.set(event.taskId, entry);
        }
        return this.#appendOne(viberId, entry, event, transition);
      });
      for (const entry of tasks.values()) {
        if (entry && entry.current !== entry.read) this.#db.run(UPDATE_TASK, taskStateParams(entry.current));
      }
      return results;
    });
  }
  #appendOne(
    viberId: string,
    entry: BatchTask | null,
    event: TaskEventRecord,
    transition: TaskEventAppend['transition'],
  ): AppendResult {
    if (!entry) return { outcome: 'not_found', lastSeq: 0, task: null };
    const task = entry.current;
    if (task.viberId !== viberId) return { outcome: 'forbidden', lastSeq: 0, task: null };
    if (event.seq <= task.lastSeq) return { outcome: 'duplicate', lastSeq: task.lastSeq, task };
    if (event.seq > task.lastSeq + 1) return { outcome: 'gap', lastSeq: task.lastSeq, task };
    this.#db.run(
      `INSERT INTO task_events (task_id, seq, type, payload, at, chunk_type)
        VALUES (:taskId, :seq, :type, :payload, :at, :chunkType)`,
      {
        taskId: event.taskId,
        seq: event.seq,
        type: event.type,
        payload: event.payload,
        at: event.at,
        chunkType: event.type === 'task:stream-chunk' ? (event.chunkType ?? null) : null,
      },
    );
    const next = applyPatch(task, { ...(transition(task) ?? {}) }, event.at);
    next.lastSeq = event.seq;
    if (!isTerminalTaskStatus(task.status) && isTerminalTaskStatus(next.status)) {
      this.#db.run('DELETE FROM commands WHERE task_id = :id', { id: task.id });
    }
    entry.current = next;
    return { outcome: 'stored', lastSeq: event.seq, task: next };
  }
  async readTaskLog(taskId: string, afterSeq: number, limit: number): Promise<TaskEventRecord[]> {
    return this.#db
      .all(
        'SELECT * FROM task_events WHERE task_id = :taskId AND seq > :afterSeq ORDER BY seq LIMIT :limit',
        {
          taskId,
          afterSeq,
          limit,
        },
      )
      .map(eventFromRow);
  }
  async listLifecycleEvents(taskId: string): Promise<TaskEventRecord[]> {
    return this.#db
      .all("SELECT * FROM task_events WHERE task_id = :taskId AND type != 'task:stream-chunk' ORDER BY seq", {
        taskId,
      })
      .map(eventFromRow);
  }
  async hasStreamChunkOfType(taskId: string, chunkType: string): Promise<boolean> {
    // The chunk_type column, never json_extract: SQLite refuses JSON nested deeper than 1,000
    // levels, and one such chunk made this throw, so a failed task's stream never ended.
    const row = this.#db.get(
      'SELECT 1 AS found FROM task_events WHERE task_id = :taskId AND chunk_type = :chunkType LIMIT 1',
      { taskId, chunkType },
    );
    return row !== undefined;
  }

  async listTaskMessages(taskId: string): Promise<TaskMessageRecord[]> {
    return this.#db
      .all('SELECT * FROM task_messages WHERE task_id = :taskId ORDER BY rowid', { taskId })
      .map(messageFromRow);
  }
  #insertMessage(message: TaskMessageRecord): void {
    this.#db.run(
      `INSERT INTO task_messages (id, task_id, message, injection_mode, created_at, delivered_at)
        VALUES (:id, :taskId, :message, :injectionMode, :createdAt, :deliveredAt)`,
      { ...message },
    );
  }

  #enqueue(command: NewCommand): void {
    this.#db.run(
      `INSERT INTO commands (command_id, viber_id, task_id, type, message, created_at)
        VALUES (:commandId, :viberId, :taskId, :type, :message, :createdAt)`,
      { ...command },
    );
  }
  async listCommands(viberId: string, afterSeq: number, limit: number): Promise<CommandRecord[]> {
    return this.#db
      .all('SELECT * FROM commands WHERE viber_id = :viberId AND seq > :afterSeq ORDER BY seq LIMIT :limit', {
        viberId,
        afterSeq,
        limit,
      })
      .map(commandFromRow);
  }
  async acknowledgeCommand(viberId: string, commandId: string, at: string): Promise<CommandRecord | null> {
    return this.#db.transaction(() => {
      const row = this.#db.get(
        'SELECT * FROM commands WHERE command_id = :commandId AND viber_id = :viberId',
        {
          commandId,
          viberId,
        },
      );
      if (!row) return null;
      const command = commandFromRow(row);
      this.#db.run('DELETE FROM commands WHERE seq = :seq', { seq: command.seq });
      if (command.type === 'task:message') {
        const messageId = (JSON.parse(command.message) as { messageId: string }).messageId;
        this.#db.run(
          'UPDATE task_messages SET delivered_at = :at WHERE id = :messageId AND delivered_at IS NULL',
          {
            at,
            messageId,
          },
        );
      }
      return command;
    });
  }

  async getIdempotency(key: string): Promise<IdempotencyRecord | null> {
    const row = this.#db.get('SELECT * FROM idempotency_keys WHERE key = :key', { key });
    if (!row) return null;
    return {
      key: row.key as string,
      requestHash: row.request_hash as string,
      status: row.status as number,
      body: row.body as string,
      createdAt: row.created_at as string,
    };
  }
  async putIdempotency(record: IdempotencyRecord): Promise<void> {
    this.#db.run(
      `INSERT OR IGNORE INTO idempotency_keys (key, request_hash, status, body, created_at)
        VALUES (:key, :requestHash, :status, :body, :createdAt)`,
      { ...record },
    );
  }
  async purgeIdempotency(olderThan: string): Promise<number> {
    return this.#db.run('DELETE FROM idempotency_keys WHERE created_at < :olderThan', { olderThan });
  }

  async insertLoginCode(code: BoardSecretRecord): Promise<void> {
    this.#db.run(
      'INSERT INTO login_codes (code_hash, created_at, expires_at) VALUES (:hash, :createdAt, :expiresAt)',
      { ...code },
    );
  }
  async consumeLoginCode(hash: string, now: string): Promise<boolean> {
    return this.#db.transaction(() => {
      const row = this.#db.get('SELECT expires_at FROM login_codes WHERE code_hash = :hash', { hash });
      if (!row) return false;
      this.#db.run('DELETE FROM login_codes WHERE code_hash = :hash', { hash });
      return (row.expires_at as string) > now;
    });
  }
  async insertBoardSession(session: BoardSecretRecord): Promise<void> {
    this.#db.run(
      'INSERT INTO board_sessions (token_hash, created_at, expires_at) VALUES (:hash, :createdAt, :expiresAt)',
      { ...session },
    );
  }
  async findBoardSession(hash: string, now: string): Promise<BoardSecretRecord | null> {
    const row = this.#db.get('SELECT * FROM board_sessions WHERE token_hash = :hash AND expires_at > :now', {
      hash,
      now,
    });
    if (!row) return null;
    return { hash, createdAt: row.created_at as string, expiresAt: row.expires_at as string };
  }
  async deleteBoardSession(hash: string): Promise<void> {
    this.#db.run('DELETE FROM board_sessions WHERE token_hash = :hash', { hash });
  }
  async purgeBoardSecrets(now: string): Promise<number> {
    return this.#db.transaction(
      () =>
        this.#db.run('DELETE FROM login_codes WHERE expires_at <= :now', { now }) +
        this.#db.run('DELETE FROM board_sessions WHERE expires_at <= :now', { now }),
    );
  }
}
